import Postgres
import CDRIngest

/// An error the binary reports to the operator as it is: one line and an
/// exit code, no stack trace. The command line maps every error through
/// this one protocol, so a new error type says its exit code and message
/// where it is defined, not in a switch that lists every type.
public protocol OperatorFacingError: Error {
    /// The process's exit status: 1 a failure, 2 a usage error, 75 the
    /// rating lock held too long, 128 + N stopped by signal N.
    var exitCode: Int32 { get }
    /// The error as one line for the operator, without the "cdr-rater: error: " before it.
    var operatorMessage: String { get }
}

extension OperatorFacingError where Self: CustomStringConvertible {
    public var operatorMessage: String { description }
}

// The layers below know nothing of exit codes: their errors are given theirs here.

extension PostgresError: OperatorFacingError {
    /// An unparsable database URL is a usage error; anything else the database says, a failure.
    public var exitCode: Int32 { kind == .badConnectionString ? 2 : 1 }
    public var operatorMessage: String { "\(self)\(missingSchemaHint)\(privilegeHint)" }
}

extension FileReadError: OperatorFacingError {
    public var exitCode: Int32 { 1 }
}

/// An expected failure with a message for the operator (no stack trace),
/// and a code saying what kind of failure it is.
public struct BillingError: Error, CustomStringConvertible {
    public let message: String
    public let code: Code

    public init(_ message: String, code: Code = .failure) {
        self.message = message
        self.code = code
    }

    public var description: String { message }

    /// A mistake in the command line rather than a failure at run time.
    public static func usage(_ message: String) -> BillingError { BillingError(message, code: .usage) }

    /// What kind of failure, with its exit code: static lets rather than an
    /// enum, as `PostgresError.Code` (after postgres-nio's
    /// `PostgresError+Code.swift`), so a new kind is one line here.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public let exitCode: Int32

        public var description: String { name }

        /// Something failed at run time (exit code 1).
        public static let failure = Code(name: "failure", exitCode: 1)
        /// A mistake in the command line (exit code 2).
        public static let usage = Code(name: "usage", exitCode: 2)
    }
}

extension BillingError: OperatorFacingError {
    public var exitCode: Int32 { code.exitCode }
    public var operatorMessage: String { message }
}

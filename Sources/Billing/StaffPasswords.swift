import Foundation

/// The passwords the admin-users seed gives the staff users it makes: the
/// seeder hands them to its SQL as settings of the seed's transaction
/// (`cdr_rater.admin_password`, ...), query parameters, never SQL text.
///
/// From `CDR_RATER_ADMIN_PASSWORD` / `CDR_RATER_SUPPORT_PASSWORD` when set;
/// else, in development, the documented demo password Admin@123; in
/// production a generated one, shown once. Production never takes a
/// published password.
public struct StaffPasswords: Sendable {
    /// The staff users the admin-users seed makes.
    public static let users = ["admin", "support"]
    /// The documented passwords of the development seeds, refused in production.
    static let published = ["Admin@123", "Demo@123"]

    /// Each staff user's password.
    public let byUser: [String: String]
    /// The users whose password was generated, to be shown once.
    public let generated: Set<String>

    /// The environment variable that gives `user`'s password.
    public static func variable(for user: String) -> String { "CDR_RATER_\(user.uppercased())_PASSWORD" }

    public init(environment: Seeder.Environment, variables: [String: String]) throws {
        var byUser: [String: String] = [:], generated: Set<String> = []
        for user in StaffPasswords.users {
            let name = StaffPasswords.variable(for: user)
            if let given = variables[name], !given.isEmpty {
                if environment == .production, StaffPasswords.published.contains(given) {
                    throw BillingError.usage("\(name) is a published demo password: production takes another, or none (one is generated)")
                }
                byUser[user] = given
            } else if environment == .production {
                byUser[user] = StaffPasswords.generate()
                generated.insert(user)
            } else {
                byUser[user] = StaffPasswords.published[0]
            }
        }
        self.byUser = byUser
        self.generated = generated
    }

    /// 20 letters and digits from the system's secure generator (getrandom
    /// on Linux), in groups of five joined by '-', with at least one lower
    /// case letter, one capital and one digit: about 119 bits.
    static func generate() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var rng = SystemRandomNumberGenerator()
        while true {
            let chars = (0 ..< 20).map { _ in alphabet.randomElement(using: &rng)! }
            guard chars.contains(where: \.isLowercase), chars.contains(where: \.isUppercase), chars.contains(where: \.isNumber) else { continue }
            return stride(from: 0, to: 20, by: 5).map { String(chars[$0 ..< $0 + 5]) }.joined(separator: "-")
        }
    }
}

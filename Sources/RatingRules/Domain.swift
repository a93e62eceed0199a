/// The values of the `cdrs` enum columns, spelled as the database spells them.
public enum CallDirection: String, Sendable, CaseIterable { case inbound, outbound }

public enum CallType: String, Sendable, CaseIterable { case local, std, isd, mobile, toll_free }

public enum CallStatus: String, Sendable, CaseIterable {
    case answered, no_answer, busy, failed, cancelled

    /// Call status from billable seconds and the switch's hangup cause
    /// (FreeSWITCH) or disposition (Asterisk): SPEC section 3.
    public static func from(billsec: Int, cause: String) -> CallStatus {
        if billsec > 0 { return .answered }
        switch cause.uppercased() {
        case "NO_ANSWER", "NO_USER_RESPONSE", "NO ANSWER": return .no_answer
        case "USER_BUSY", "BUSY": return .busy
        case "ORIGINATOR_CANCEL", "CANCEL": return .cancelled
        default: return .failed
        }
    }
}

/// `dids.did_type`.
public enum DIDType: String, Sendable {
    case local, toll_free, mobile, national

    /// The call type of an inbound call to a DID of this type.
    public var inboundCallType: CallType {
        switch self {
        case .local: return .local
        case .toll_free: return .toll_free
        case .mobile: return .mobile
        case .national: return .std
        }
    }
}

/// Reading a tariff version's files (SPEC 3c): the rows CSV and the bands
/// CSV, validated as a whole, every mistake named by file and line.
public enum TariffFile {
    /// The rows file's columns, in the order export writes them.
    public static let columns = ["prefix", "destination", "band", "from_second", "rate", "unit_seconds", "increment_seconds",
                                 "connect_fee", "in_bundle", "rounding", "decimals", "max_cost"]
    public static let bandColumns = ["band", "days", "start", "priority"]

    /// A row as read, with its line in the file.
    public struct Line: Sendable {
        public let line: Int
        public let row: TariffRow
    }

    /// A band line as read, with the `days` text as written (stored so it parses again).
    public struct Band: Sendable {
        public let line: Int
        public let daysText: String
        public let band: BandLine
    }

    /// Every mistake found, each `file:line: what`.
    public struct Problems: Error, CustomStringConvertible {
        public let lines: [String]
        public var description: String { lines.joined(separator: "\n") }
    }

    /// A prefix as destinations are normalized (spaces and dashes dropped,
    /// `00` to `+`), or why it cannot be one.
    public static func normalizedPrefix(_ raw: String) -> Result<String, Problems> {
        let text = raw.trimmingSpaces()
        if text == TariffRow.catchAll { return .success(text) }
        var p = String(text.unicodeScalars.filter { $0 != " " && $0 != "-" && $0 != "\t" })
        if p.hasPrefix("00") { p = "+" + p.dropFirst(2) }
        let digits = p.hasPrefix("+") ? p.dropFirst() : Substring(p)
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return .failure(Problems(lines: ["prefix '\(raw)' is not digits with an optional leading + (or * for every destination)"]))
        }
        let planned = NumberPlan.normalize(p)
        guard planned == p else {
            return .failure(Problems(lines: ["prefix '\(raw)' is a number the number plan rewrites to \(planned): write \(planned)"]))
        }
        return .success(p)
    }

    /// Splits a file's text into (line number, fields) for each non-empty line, the header first.
    static func records(_ text: String, file: String, problems: inout [String]) -> [(Int, [String])] {
        var out: [(Int, [String])] = []
        forEachRecord(text, file: file, problems: &problems) { out.append(($0, $1)) }
        return out
    }

    /// `records` one at a time: a deck of 200,000 lines is never held as fields.
    static func forEachRecord(_ text: String, file: String, problems: inout [String], _ body: (Int, [String]) -> Void) {
        var parser = CSVLine()
        var number = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            var line = Substring(raw)
            if line.hasSuffix("\r") { line = line.dropLast() }
            if number == 1, line.hasPrefix("\u{FEFF}") { line = line.dropFirst() }
            if line.trimmingCharacters(in: " \t").isEmpty { continue }
            do {
                try parser.parse(Array(line.utf8))
                body(number, (0 ..< parser.count).map { parser.string($0).trimmingSpaces() })
            } catch {
                problems.append("\(file):\(number): \(error == .unterminatedQuote ? "a quote is not closed" : "text after a closing quote")")
            }
        }
    }

    /// The header's column positions; problems for unknown, repeated or missing columns.
    static func header(_ fields: [String], known: [String], required: [String], file: String, line: Int,
                       problems: inout [String]) -> [String: Int] {
        var at: [String: Int] = [:]
        for (i, f) in fields.enumerated() {
            let name = f.lowercased()
            if !known.contains(name) {
                problems.append("\(file):\(line): unknown column '\(f)' (the columns are \(known.joined(separator: ", ")))")
            } else if at[name] != nil {
                problems.append("\(file):\(line): column \(name) is named twice")
            } else {
                at[name] = i
            }
        }
        for r in required where at[r] == nil { problems.append("\(file):\(line): the header has no column \(r)") }
        return at
    }

    /// Reads the bands file: `band,days,start,priority` (priority [0]).
    public static func bands(_ text: String, file: String) throws(Problems) -> [Band] {
        var problems: [String] = []
        let recs = records(text, file: file, problems: &problems)
        guard let (headerLine, headerFields) = recs.first else { throw Problems(lines: ["\(file): the bands file is empty: it needs the header band,days,start,priority"]) }
        let at = header(headerFields, known: bandColumns, required: ["band", "days", "start"], file: file, line: headerLine, problems: &problems)
        guard problems.isEmpty else { throw Problems(lines: problems) }
        var out: [Band] = []
        for (line, f) in recs.dropFirst() {
            guard f.count == headerFields.count else {
                problems.append("\(file):\(line): \(f.count) fields, the header has \(headerFields.count)"); continue
            }
            let value = { (c: String) in at[c].map { f[$0] } ?? "" }
            var bad: [String] = []
            let name = value("band")
            if name.isEmpty { bad.append("band is empty") } else if name == TimeBands.always {
                bad.append("band * is in force all day by itself and is not defined in the bands file")
            }
            var days: BandDays?
            do { days = try BandDays(value("days")) } catch { bad.append("days: \(error)") }
            let start = secondOfDay(value("start"))
            if start == nil { bad.append("start '\(value("start"))' is not a time of day HH:MM or HH:MM:SS") }
            let priorityText = value("priority")
            let priority = priorityText.isEmpty ? 0 : Int(priorityText)
            if priority == nil { bad.append("priority '\(priorityText)' is not a whole number") }
            if let days, let start, let priority, bad.isEmpty {
                out.append(Band(line: line, daysText: value("days"), band: BandLine(band: name, days: days, start: start, priority: priority)))
            } else {
                problems += bad.map { "\(file):\(line): \($0)" }
            }
        }
        for (i, a) in out.enumerated() {
            for b in out[..<i] where a.band.priority == b.band.priority && a.band.start == b.band.start && overlap(a.band.days, b.band.days) {
                problems.append("\(file):\(a.line): band \(a.band.band) starts at the same time with the same priority as band "
                    + "\(b.band.band) of line \(b.line) on a common day: which is in force would be a guess")
            }
        }
        guard problems.isEmpty else { throw Problems(lines: problems) }
        return out
    }

    /// `HH:MM` or `HH:MM:SS` as seconds after midnight.
    public static func secondOfDay(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (2 ... 3).contains(parts.count), parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) }),
              let h = Int(parts[0]), let m = Int(parts[1]), let s = parts.count == 3 ? Int(parts[2]) : 0,
              (0 ..< 24).contains(h), (0 ..< 60).contains(m), (0 ..< 60).contains(s) else { return nil }
        return h * 3600 + m * 60 + s
    }

    public static func timeOfDay(_ s: Int) -> String {
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return s % 60 == 0 ? "\(two(s / 3600)):\(two(s % 3600 / 60))" : "\(two(s / 3600)):\(two(s % 3600 / 60)):\(two(s % 60))"
    }

    /// Whether some day is a day of both.
    static func overlap(_ a: BandDays, _ b: BandDays) -> Bool {
        if a.everyDay || b.everyDay { return true }
        if !a.weekdays.isDisjoint(with: b.weekdays) || !a.yearly.isDisjoint(with: b.yearly) || !a.dates.isDisjoint(with: b.dates) { return true }
        // A day of the year falls on every weekday in some year.
        if (!a.yearly.isEmpty && !b.weekdays.isEmpty) || (!b.yearly.isEmpty && !a.weekdays.isEmpty) { return true }
        func dateMeets(_ dates: Set<Int>, _ other: BandDays) -> Bool {
            dates.contains { d in
                let day = LocalDateTime(year: d / 10_000, month: d / 100 % 100, day: d % 100)
                return other.weekdays.contains(day.weekday) || other.yearly.contains(d % 10_000)
            }
        }
        return dateMeets(a.dates, b) || dateMeets(b.dates, a)
    }

    /// Reads the rows file against the bands (nil: no bands file, only band `*`).
    /// Refuses the whole file when any row is wrong, naming every one.
    public static func rows(_ text: String, file: String, bands: [Band]?, bandsFile: String?) throws(Problems) -> [Line] {
        var problems: [String] = []
        var headerFields: [String]?, at: [String: Int] = [:], headerBad = false
        let defined = Set((bands ?? []).map(\.band.band))
        var out: [Line] = []
        out.reserveCapacity(text.utf8.reduce(0) { $1 == 10 ? $0 + 1 : $0 })
        var unreadable: [String] = [] // lines the CSV reader refused
        forEachRecord(text, file: file, problems: &unreadable) { line, f in
            guard let headerFields else {
                headerFields = f
                at = header(f, known: columns, required: ["prefix", "rate"], file: file, line: line, problems: &problems)
                headerBad = !problems.isEmpty
                return
            }
            guard !headerBad else { return }
            guard f.count == headerFields.count else {
                problems.append("\(file):\(line): \(f.count) fields, the header has \(headerFields.count)"); return
            }
            let value = { (c: String) in at[c].map { f[$0] } ?? "" }
            var bad: [String] = []
            func int(_ c: String, _ fallback: Int, positive: Bool = false) -> Int {
                let t = value(c)
                if t.isEmpty { return fallback }
                guard let v = Int(t), v >= (positive ? 1 : 0) else {
                    bad.append("\(c) '\(t)' is not a whole number of \(positive ? "1 or more" : "0 or more")"); return fallback
                }
                return v
            }
            func decimal(_ c: String) -> DecimalRate? {
                let t = value(c)
                if t.isEmpty { return nil }
                guard let d = DecimalRate(t) else {
                    bad.append("\(c) '\(t)' is not a decimal such as 0.50 (no sign, at most 9 digits either side of the point)"); return nil
                }
                return d
            }
            var prefix = ""
            switch normalizedPrefix(value("prefix")) {
            case .success(let p): prefix = p
            case .failure(let e): bad += e.lines
            }
            let rateText = value("rate")
            let rate = decimal("rate")
            if rateText.isEmpty { bad.append("rate is empty") }
            var row = TariffRow(prefix: prefix, rate: rate ?? DecimalRate(mantissa: 0, scale: 0))
            row.destination = value("destination")
            let band = value("band")
            row.band = band.isEmpty ? TimeBands.always : band
            if row.band != TimeBands.always && !defined.contains(row.band) {
                bad.append(bands == nil ? "band \(row.band) needs a bands file (--bands FILE); without one only band * is known"
                    : "band \(row.band) is not defined in \(bandsFile ?? "the bands file")")
            }
            row.fromSecond = int("from_second", 0)
            row.unitSeconds = int("unit_seconds", 60, positive: true)
            row.incrementSeconds = int("increment_seconds", 60, positive: true)
            row.connectFee = decimal("connect_fee") ?? DecimalRate(mantissa: 0, scale: 0)
            switch value("in_bundle").lowercased() {
            case "", "true": row.inBundle = true
            case "false": row.inBundle = false
            case let t: bad.append("in_bundle '\(t)' is not true or false")
            }
            let rounding = value("rounding")
            if rounding.isEmpty { row.rounding = .halfUp } else if let r = Rounding(rawValue: rounding.lowercased()) { row.rounding = r } else {
                bad.append("rounding '\(rounding)' is not up, half_up or down")
            }
            row.decimals = min(4, int("decimals", 4)) // more than 4 is read as 4, the precision of cdrs.cost
            row.maxCost = decimal("max_cost")
            if bad.isEmpty { out.append(Line(line: line, row: row)) } else { problems += bad.map { "\(file):\(line): \($0)" } }
        }
        guard headerFields != nil else { throw Problems(lines: ["\(file): the tariff file is empty: it needs a header (at least prefix,rate)"]) }
        problems = unreadable + problems
        guard !headerBad else { throw Problems(lines: problems) }
        problems += tierProblems(out, file: file)
        if out.isEmpty && problems.isEmpty { problems.append("\(file): no rows after the header") }
        guard problems.isEmpty else { throw Problems(lines: problems.sorted { lineOf($0) < lineOf($1) }) }
        return out
    }

    /// A (prefix, band, from_second) priced twice, and each band a prefix names not starting
    /// from second 0 of the call: found in the rows sorted, not in tables of a key a row.
    private static func tierProblems(_ out: [Line], file: String) -> [String] {
        var problems: [String] = []
        // Rows in (prefix, band, from_second, line) order: a tier's repeats follow its first line, a band's tiers its lowest.
        var order = Array(out.indices)
        order.sort { a, b in
            let (x, y) = (out[a].row, out[b].row)
            return (x.prefix, x.band, x.fromSecond, out[a].line) < (y.prefix, y.band, y.fromSecond, out[b].line)
        }
        var lower = 0
        while lower < order.count {
            let first = out[order[lower]]
            var upper = lower + 1, firstLine = first.line
            while upper < order.count, out[order[upper]].row.prefix == first.row.prefix, out[order[upper]].row.band == first.row.band {
                let l = out[order[upper]], before = out[order[upper - 1]]
                if l.row.fromSecond == before.row.fromSecond {
                    let tierFirst = order[lower ..< upper].lazy.map { out[$0] }.first { $0.row.fromSecond == l.row.fromSecond }!.line
                    problems.append("\(file):\(l.line): prefix \(l.row.prefix), band \(l.row.band), from_second \(l.row.fromSecond) is priced already on line \(tierFirst)")
                }
                firstLine = min(firstLine, l.line)
                upper += 1
            }
            // The band's lowest tier comes first.
            if first.row.fromSecond != 0 {
                problems.append("\(file):\(firstLine): band \(first.row.band) of prefix \(first.row.prefix) has no row from second 0: a call's first seconds in it would have no price")
            }
            lower = upper
        }
        return problems
    }

    private static func lineOf(_ problem: String) -> Int {
        let parts = problem.split(separator: ":")
        return parts.count > 1 ? Int(parts[1]) ?? 0 : 0
    }

    /// Prefixes whose rows leave some time of some day with no band in force
    /// (a call reaching it has no price): one warning each.
    public static func gaps(_ rows: some Sequence<TariffRow>, bands: [BandLine]) -> [String] {
        let timeBands = TimeBands(bands)
        var byPrefix: [String: Set<String>] = [:]
        for r in rows { byPrefix[r.prefix, default: []].insert(r.band) }
        var verdict: [Set<String>: String?] = [:]
        let days = sampleDays(bands)
        var out: [String] = []
        for (prefix, names) in byPrefix.sorted(by: { $0.key < $1.key }) where !names.contains(TimeBands.always) {
            if verdict[names] == nil {
                var found: String?
                search: for (day, label) in days {
                    let starts = [0] + timeBands.lines.filter { names.contains($0.band) && $0.days.contains(day) }.map(\.start)
                    for s in Set(starts).sorted() {
                        var t = day
                        t.setSecondOfDay(s)
                        if timeBands.inForce(among: names, at: t) == nil {
                            found = "on \(label) from \(timeOfDay(s))"
                            break search
                        }
                    }
                }
                verdict[names] = .some(found)
            }
            if case let .some(.some(gap)) = verdict[names] {
                out.append("prefix \(prefix) has no band in force \(gap) (its bands: \(names.sorted().joined(separator: ", "))): a call then has no price")
            }
        }
        return out
    }

    /// Days that between them meet every combination of band days: each
    /// weekday on a day no yearly day or date names, each yearly day on
    /// every weekday, each date.
    static func sampleDays(_ bands: [BandLine]) -> [(LocalDateTime, String)] {
        let yearly = bands.reduce(into: Set<Int>()) { $0.formUnion($1.days.yearly) }
        let dates = bands.reduce(into: Set<Int>()) { $0.formUnion($1.days.dates) }
        var out: [(LocalDateTime, String)] = []
        var plain = Set<Int>()
        var t = LocalDateTime(year: 2001, month: 1, day: 1).secondsAsIfUTC
        while plain.count < 7 && t < LocalDateTime(year: 2031, month: 1, day: 1).secondsAsIfUTC {
            let d = LocalDateTime(secondsAsIfUTC: t)
            if !plain.contains(d.weekday) && !yearly.contains(d.month * 100 + d.day) && !dates.contains(d.year * 10_000 + d.month * 100 + d.day) {
                plain.insert(d.weekday); out.append((d, BandDays.weekdayNames[d.weekday]))
            }
            t += 86_400
        }
        for md in yearly.sorted() {
            for year in 2001 ... 2028 {
                let d = LocalDateTime(year: year, month: md / 100, day: md % 100)
                let back = LocalDateTime(secondsAsIfUTC: d.secondsAsIfUTC)
                if back.month == d.month && back.day == d.day {
                    out.append((back, "\(BandDays.weekdayNames[back.weekday]) \(String(back.text.dropFirst(5).prefix(5)))"))
                }
            }
        }
        for ymd in dates.sorted() {
            let d = LocalDateTime(year: ymd / 10_000, month: ymd / 100 % 100, day: ymd % 100)
            let back = LocalDateTime(secondsAsIfUTC: d.secondsAsIfUTC)
            if back.day == d.day { out.append((back, String(back.text.prefix(10)))) }
        }
        return out
    }

    /// The rows file text for `rows`, in the import's format (all columns, every default written out).
    public static func csv(_ rows: [TariffRow]) -> [[String]] {
        rows.map { r in
            [r.prefix, r.destination, r.band, String(r.fromSecond), r.rate.description, String(r.unitSeconds), String(r.incrementSeconds),
             r.connectFee.description, r.inBundle ? "true" : "false", r.rounding.rawValue, String(r.decimals), r.maxCost?.description ?? ""]
        }
    }

    /// Each prefix's prices as a number, equal exactly when two prefixes' rows are
    /// (`canonical`, in any order): comparing two versions of 50,000 prefixes
    /// then holds a number a prefix, not a copy of their rows.
    public struct PriceShapes {
        private var ids: [[String]: Int32] = [:]

        public init() {}

        /// The number of one prefix's rows.
        public mutating func id(of rows: some Sequence<TariffRow>) -> Int32 {
            let key = rows.map(TariffFile.canonical).sorted()
            if let id = ids[key] { return id }
            let id = Int32(ids.count)
            ids[key] = id
            return id
        }

        /// Each prefix's number, the rows in any order.
        public mutating func byPrefix<C: RandomAccessCollection>(_ rows: C) -> [String: Int32] where C.Element == TariffRow, C.Index == Int {
            var out: [String: Int32] = [:]
            var order = Array(rows.indices)
            order.sort { rows[$0].prefix < rows[$1].prefix }
            var lower = 0
            while lower < order.count {
                let prefix = rows[order[lower]].prefix
                var upper = lower + 1
                while upper < order.count && rows[order[upper]].prefix == prefix { upper += 1 }
                out[prefix] = id(of: order[lower ..< upper].lazy.map { rows[$0] })
                lower = upper
            }
            return out
        }
    }

    /// A row as one comparable text: decimals by value (6.00 is 6), for differences between versions.
    public static func canonical(_ r: TariffRow) -> String {
        func v(_ d: DecimalRate?) -> String {
            guard let d else { return "" }
            var (m, s) = (d.mantissa, d.scale)
            while s > 0 && m % 10 == 0 { m /= 10; s -= 1 }
            return DecimalRate(mantissa: m, scale: s).description
        }
        return [r.destination, r.band, String(r.fromSecond), v(r.rate), String(r.unitSeconds), String(r.incrementSeconds), v(r.connectFee),
                String(r.inBundle), r.rounding.rawValue, String(r.decimals), v(r.maxCost)].joined(separator: "|")
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return s
    }
}

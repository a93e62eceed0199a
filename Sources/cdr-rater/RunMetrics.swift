import Prometheus
import RatingRules
import Reports

/// The run's metrics in the Prometheus text format, for node_exporter's
/// textfile collector (`--metrics-file`): last run timestamp and outcome,
/// duration, lock wait, lines by outcome, files by status, cost.
enum RunMetrics {
    static func text(_ s: RunSummary) -> String {
        let registry = PrometheusCollectorRegistry()
        let r = s.report ?? RunReport(dryRun: false)
        func gauge(_ name: String, _ unit: String, _ help: String, _ value: Double, _ labels: [(String, String)] = []) {
            let descriptor = MetricNameDescriptor(namespace: "cdr_rater", metricName: name, unitName: unit, helpText: help)
            registry.makeGauge(descriptor: descriptor, labels: labels).set(value)
        }
        gauge("last_run_timestamp", "seconds", "When the last rate run ended (unix time).", s.finished.timeIntervalSince1970)
        gauge("last_run_success", "", "1 when the last rate run exited 0, else 0.", s.exitCode == 0 ? 1 : 0)
        gauge("last_run_exit_code", "", "Exit code of the last rate run.", Double(s.exitCode))
        gauge("last_run_duration", "seconds", "Wall time of the last rate run.", s.finished.timeIntervalSince(s.started))
        gauge("last_run_lock_wait", "seconds", "Time the last rate run waited for the rating lock.", r.lockWaitSeconds)
        for (outcome, count) in [("stored", r.stored), ("duplicate", r.duplicates), ("rejected", r.rejected), ("unmatched", r.unmatched)] {
            gauge("last_run_lines", "", "Input lines of the last rate run by outcome (unmatched lines are also stored).",
                  Double(count), [("outcome", outcome)])
        }
        for status in FileOutcome.Status.allCases {
            gauge("last_run_files", "", "Files of the last rate run by status.", Double(r.files.filter { $0.status == status }.count),
                  [("status", status.rawValue)])
        }
        // Money as a float is for graphs only; the database holds the exact amounts.
        gauge("last_run_cost", "rupees", "Cost of the calls the last rate run rated, in rupees.",
              Double(r.total.cost.units) / Double(Money.scale))
        return registry.emitToString()
    }
}

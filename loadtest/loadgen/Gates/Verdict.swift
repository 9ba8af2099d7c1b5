/// One gate's judgement of a run.
struct Verdict {
    enum Outcome: String {
        case pass
        case fail
        /// The run was too small for the gate to tell a pass from a fail: it fails the run with exit
        /// status 3, never passes it.
        case inconclusive
    }

    let gate: String
    let outcome: Outcome
    let detail: String

    var passed: Bool { outcome == .pass }
}

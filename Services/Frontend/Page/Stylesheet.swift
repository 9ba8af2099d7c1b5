/// The page's only stylesheet, served from the frontend itself: the page loads nothing from elsewhere,
/// since clusters are often offline, and the Content-Security-Policy allows styles from this origin only.
enum Stylesheet {
    static let css = """
        :root {
          --ink: #1d2430; --muted: #5b6576; --paper: #f5f7fb; --card: #ffffff; --line: #dfe4ee;
          --accent: #2f6fde; --danger: #b42318;
          font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
          color: var(--ink); background: var(--paper);
        }
        * { box-sizing: border-box; }
        body { margin: 0; line-height: 1.5; }
        .masthead { background: linear-gradient(120deg, #1f3b73, #2f6fde); color: #fff; padding: 2.2rem 1.25rem \
        3.2rem; }
        .masthead h1 { margin: 0 auto; max-width: 46rem; font-size: 2rem; letter-spacing: -0.02em; }
        .masthead h1 span { font-weight: 400; opacity: 0.8; }
        .masthead p { margin: 0.3rem auto 0; max-width: 46rem; opacity: 0.85; }
        main { max-width: 46rem; margin: -2rem auto 2rem; padding: 0 1.25rem; }
        .served-by { display: grid; grid-template-columns: repeat(auto-fit, minmax(13rem, 1fr)); gap: 0.75rem; }
        .card { background: var(--card); border-radius: 0.8rem; padding: 0.9rem 1.1rem; display: grid;
          box-shadow: 0 1px 2px rgb(16 24 40 / 6%), 0 4px 12px rgb(16 24 40 / 6%); border-top: 0.35rem solid \
          var(--tone); }
        .card .role { font-size: 0.75rem; text-transform: uppercase; letter-spacing: 0.08em; color: var(--muted); }
        .card .version { font-size: 1.6rem; font-weight: 700; color: var(--tone); }
        .card .pod { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.85rem; color: \
        var(--muted);
          overflow-wrap: anywhere; }
        .tone-0 { --tone: #2f6fde; } .tone-1 { --tone: #0f9d58; } .tone-2 { --tone: #d9480f; } .tone-3 { --tone: \
        #7b3fe4; }
        .tone-4 { --tone: #c2255c; } .tone-5 { --tone: #0b7285; } .tone-6 { --tone: #a86400; } .tone-7 { --tone: \
        #495057; }
        .down { --tone: var(--danger); }
        .notice { margin: 1rem 0 0; padding: 0.8rem 1rem; border-radius: 0.6rem; background: #fef3f2;
          color: var(--danger); border: 1px solid #fecdca; font-weight: 600; }
        .compose { margin: 1.25rem 0; background: var(--card); border-radius: 0.8rem; padding: 1.1rem;
          display: grid; gap: 0.6rem; box-shadow: 0 1px 2px rgb(16 24 40 / 6%); }
        .compose label { display: grid; gap: 0.25rem; font-weight: 600; font-size: 0.9rem; }
        .compose input, .compose textarea { font: inherit; font-weight: 400; padding: 0.55rem 0.7rem;
          border: 1px solid var(--line); border-radius: 0.5rem; background: #fbfcfe; }
        .compose input:focus, .compose textarea:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
        .compose [aria-invalid="true"] { border-color: var(--danger); }
        .field-error { color: var(--danger); font-size: 0.85rem; margin-top: -0.3rem; }
        .compose button { justify-self: start; font: inherit; font-weight: 600; color: #fff; background: var(--accent);
          border: 0; border-radius: 0.5rem; padding: 0.6rem 1.1rem; cursor: pointer; }
        .compose button:hover { background: #2459b8; }
        .entries { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.6rem; }
        .entries li { background: var(--card); border-radius: 0.7rem; padding: 0.8rem 1.1rem; border: 1px solid \
        var(--line); }
        .entries .message { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
        .entries .meta { margin: 0.3rem 0 0; font-size: 0.85rem; color: var(--muted); }
        .entries .author { font-weight: 600; color: var(--ink); }
        .empty { color: var(--muted); text-align: center; padding: 1.5rem; }
        footer { max-width: 46rem; margin: 0 auto 2rem; padding: 0 1.25rem; color: var(--muted); font-size: 0.85rem; }
        footer a { color: var(--accent); }
        @media (prefers-color-scheme: dark) {
          :root { --ink: #e6e9ef; --muted: #9aa4b5; --paper: #10141b; --card: #171c25; --line: #283040; }
          .compose input, .compose textarea { background: #10141b; color: var(--ink); }
          .notice { background: #2a1414; border-color: #5c2323; color: #ff8a80; }
        }
        """
}

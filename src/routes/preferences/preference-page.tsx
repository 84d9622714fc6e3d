/**
 * The preference center's pages, rendered on the server with hono/jsx. No JavaScript anywhere (the responses
 * carry a CSP that forbids it): every action is a plain form POST, so the pages work in any browser and in
 * mail clients' in-app browsers. Every control has a <label>; the layout is fluid from 320 px up.
 */
import type { Child, FC } from "hono/jsx";
import type { Frequency, PreferenceState } from "../../domain/preferences/preferences";

const STYLE = `
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%;color-scheme:light}
body{margin:0;background:#f3f4f6;color:#111827;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
.page{max-width:36rem;margin:0 auto;padding:1.5rem 1rem 2rem}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:12px;padding:1.5rem 1.25rem;box-shadow:0 1px 3px rgba(17,24,39,.06)}
.sender{margin:0 0 .375rem;font-size:.8125rem;font-weight:600;letter-spacing:.04em;text-transform:uppercase;color:#4b5563;overflow-wrap:anywhere}
h1{margin:0;font-size:1.5rem;line-height:1.25}
h2{margin:0;font-size:1.0625rem;line-height:1.4}
.lead{margin:.5rem 0 0;color:#4b5563}
.address{color:#111827;font-weight:600;overflow-wrap:anywhere}
.notice{margin:1.25rem 0 0;padding:.75rem 1rem;border:1px solid;border-radius:8px;font-weight:500}
.notice-success{background:#ecfdf3;border-color:#a6f4c5;color:#05603a}
.notice-error{background:#fef3f2;border-color:#fecdca;color:#912018}
form{margin:0}
fieldset{margin:1.75rem 0 0;padding:0;border:0;min-width:0}
legend,.field-label{display:block;padding:0;font-weight:600}
.hint{margin:.25rem 0 0;color:#6b7280;font-size:.875rem}
.options{margin-top:.75rem;border:1px solid #e5e7eb;border-radius:10px}
.option{position:relative;display:flex;gap:.75rem;align-items:flex-start;padding:.875rem 1rem}
.option+.option{border-top:1px solid #e5e7eb}
.option input{flex:none;width:1.25rem;height:1.25rem;margin:.125rem 0 0;accent-color:#1d4ed8;cursor:pointer}
.option label{font-weight:500;cursor:pointer}
.option label::after{content:"";position:absolute;inset:0}
.option-text{min-width:0;overflow-wrap:anywhere}
.option-desc{margin:.125rem 0 0;color:#6b7280;font-size:.875rem}
.field{margin-top:1.75rem}
select{display:block;width:100%;min-height:2.75rem;margin-top:.5rem;padding:.5rem .75rem;font:inherit;color:inherit;background:#fff;border:1px solid #d1d5db;border-radius:8px}
.button{display:block;width:100%;min-height:2.75rem;margin-top:1.75rem;padding:.625rem 1.25rem;font:inherit;font-weight:600;border:1px solid transparent;border-radius:8px;cursor:pointer}
.primary{background:#1d4ed8;color:#fff}
.primary:hover{background:#1e40af}
.secondary{background:#fff;color:#b42318;border-color:#fda29b}
.secondary:hover{background:#fef3f2}
.section{margin-top:2rem;padding-top:1.5rem;border-top:1px solid #e5e7eb}
.section p{margin:.25rem 0 0;color:#4b5563}
.section .button{margin-top:1rem}
:focus-visible{outline:3px solid #93b4fd;outline-offset:2px}
.footer{margin:1.5rem 0 0;text-align:center;color:#6b7280;font-size:.8125rem;overflow-wrap:anywhere}
@media (min-width:480px){.page{padding:3rem 1.5rem}.card{padding:2rem}.button{display:inline-block;width:auto}}
`;

const FREQUENCIES: { value: Frequency; label: string }[] = [
  { value: "immediate", label: "As it happens" },
  { value: "daily", label: "At most once a day" },
  { value: "weekly", label: "At most once a week" },
  { value: "monthly", label: "At most once a month" },
];

export type Notice = { tone: "success" | "error"; text: string };

const Document: FC<{ title: string; children?: Child }> = ({ title, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="robots" content="noindex, nofollow" />
      <meta name="referrer" content="no-referrer" />
      <title>{title}</title>
      <style>{STYLE}</style>
    </head>
    <body>
      <div class="page">{children}</div>
    </body>
  </html>
);

const NoticeBanner: FC<{ notice?: Notice }> = ({ notice }) =>
  notice ? (
    <p class={`notice notice-${notice.tone}`} role={notice.tone === "error" ? "alert" : "status"}>
      {notice.text}
    </p>
  ) : null;

const Footer: FC<{ state: PreferenceState }> = ({ state }) => (
  <p class="footer">
    {state.workspace_name}
    {state.postal_address ? ` · ${state.postal_address}` : ""}
  </p>
);

const PreferencesForm: FC<{ state: PreferenceState; action: string }> = ({ state, action }) => (
  <form method="post" action={action}>
    {state.categories.map((c) => (
      <input type="hidden" name="shown" value={c.slug} />
    ))}
    {state.categories.length > 0 ? (
      <fieldset>
        <legend>Topics</legend>
        <p class="hint">Untick anything you would rather not receive.</p>
        <div class="options">
          {state.categories.map((c) => {
            const id = `category-${c.slug}`;
            return (
              <div class="option">
                <input
                  type="checkbox"
                  id={id}
                  name="category"
                  value={c.slug}
                  checked={c.subscribed}
                  aria-describedby={c.description ? `${id}-description` : undefined}
                />
                <div class="option-text">
                  <label for={id}>{c.name}</label>
                  {c.description ? (
                    <p class="option-desc" id={`${id}-description`}>
                      {c.description}
                    </p>
                  ) : null}
                </div>
              </div>
            );
          })}
        </div>
      </fieldset>
    ) : null}
    <div class="field">
      <label class="field-label" for="frequency">
        How often
      </label>
      <select id="frequency" name="frequency" aria-describedby="frequency-hint">
        {FREQUENCIES.map((f) => (
          <option value={f.value} selected={f.value === state.frequency}>
            {f.label}
          </option>
        ))}
      </select>
      <p class="hint" id="frequency-hint">
        Emails beyond this are skipped, not sent later.
      </p>
    </div>
    <button type="submit" class="button primary">
      Save preferences
    </button>
  </form>
);

const stoppedReason = (state: PreferenceState) =>
  state.status === "bounced"
    ? `Email to this address could not be delivered, so ${state.workspace_name} has stopped sending to it.`
    : `This address reported an email from ${state.workspace_name} as spam, so ${state.workspace_name} no longer sends to it.`;

/** The page for a valid token, in the subscriber's current state. */
export const PreferencePage: FC<{ state: PreferenceState; token: string; notice?: Notice }> = ({ state, token, notice }) => {
  const base = `/preferences/${token}`;
  const address = <span class="address">{state.email}</span>;
  return (
    <Document title={`Email preferences · ${state.workspace_name}`}>
      <main class="card">
        <p class="sender">{state.workspace_name}</p>
        {state.status === "active" ? (
          <>
            <h1>Email preferences</h1>
            <p class="lead">
              Choose what {state.workspace_name} sends to {address}.
            </p>
            <NoticeBanner notice={notice} />
            <PreferencesForm state={state} action={base} />
            <section class="section" aria-labelledby="unsubscribe-heading">
              <h2 id="unsubscribe-heading">Unsubscribe from all</h2>
              <p>Stop every email from {state.workspace_name}. You can come back here and resubscribe at any time.</p>
              <form method="post" action={`${base}/unsubscribe`}>
                <button type="submit" class="button secondary">
                  Unsubscribe from all
                </button>
              </form>
            </section>
          </>
        ) : state.status === "unsubscribed" ? (
          <>
            <h1>You are unsubscribed</h1>
            <p class="lead">
              {state.workspace_name} will not send any more email to {address}.
            </p>
            <NoticeBanner notice={notice} />
            <section class="section" aria-labelledby="resubscribe-heading">
              <h2 id="resubscribe-heading">Changed your mind?</h2>
              <p>Resubscribe to hear from {state.workspace_name} again, with the topics you chose before.</p>
              <form method="post" action={`${base}/resubscribe`}>
                <button type="submit" class="button primary">
                  Resubscribe
                </button>
              </form>
            </section>
          </>
        ) : (
          <>
            <h1>Email to this address has stopped</h1>
            <p class="lead">{stoppedReason(state)}</p>
            <NoticeBanner notice={notice} />
            <p class="lead">To receive email again, please contact {state.workspace_name}.</p>
          </>
        )}
      </main>
      <Footer state={state} />
    </Document>
  );
};

/** One page for every link that does not work, whatever the reason: it must not tell them apart. */
export const InvalidLinkPage: FC = () => (
  <Document title="Link not valid">
    <main class="card">
      <h1>This link is not valid</h1>
      <p class="lead">
        It may have been copied incompletely, or it is no longer in use. To change your email preferences, use the link in a recent email.
      </p>
    </main>
  </Document>
);

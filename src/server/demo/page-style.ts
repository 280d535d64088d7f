/** The demo page's stylesheet (inlined in a `<style>` element that the CSP allows by its hash). */
export const PAGE_STYLE = `
:root { color-scheme: light; --ink: #1d2330; --muted: #5b6476; --line: #d9dee8; --panel: #f6f8fb; --accent: #2f6fed; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #fff; }
main { max-width: 1100px; margin: 0 auto; padding: 16px 20px 32px; }
header.top { display: flex; align-items: baseline; gap: 12px; flex-wrap: wrap; }
h1 { font-size: 20px; margin: 0; }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 18px 0 6px; display: flex; gap: 8px; align-items: center; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; background: #e7ebf3; color: var(--muted); }
.badge[data-hit="true"] { background: #d8f5e1; color: #11693a; }
.badge.warn { background: #fde7c8; color: #8a4b00; }
#status { color: var(--muted); }
#status[data-state="complete"] { color: #11693a; }
#status[data-state="cancelled"], #status[data-state="stopping"] { color: #8a4b00; }
#status[data-state="error"] { color: #b3261e; }
form { display: grid; gap: 8px; margin-top: 12px; }
textarea { width: 100%; min-height: 64px; font: inherit; padding: 8px; border: 1px solid var(--line); border-radius: 6px; resize: vertical; }
.controls { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
button { font: inherit; padding: 6px 16px; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button#stop { background: #fff; color: #b3261e; border-color: #b3261e; }
button#new-chat { background: #fff; color: var(--accent); }
.conversation { border: 1px solid var(--line); border-radius: 8px; padding: 2px 12px; margin-bottom: 12px; max-height: 320px; overflow-y: auto; }
.turn { white-space: pre-wrap; overflow-wrap: anywhere; margin: 8px 0; }
.turn-user { font-weight: 600; }
.turn-user::before { content: "You: "; color: var(--muted); }
.turn-assistant::before { content: "Answer: "; color: var(--muted); font-weight: 400; }
button:disabled { opacity: .45; cursor: default; }
.controls label { margin-left: auto; color: var(--muted); font-size: 13px; }
.controls input { font: inherit; padding: 4px 6px; border: 1px solid var(--line); border-radius: 6px; width: 200px; }
#note { color: var(--muted); font-size: 13px; min-height: 1.2em; margin: 6px 0 0; }
dl#plan { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
dl#plan dt { color: var(--muted); }
dl#plan dd { margin: 0; }
.lanes { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 10px; }
.lane { border: 1px solid var(--line); border-radius: 8px; background: var(--panel); padding: 8px 10px; min-height: 110px; }
.lane-head { display: flex; gap: 6px; align-items: baseline; flex-wrap: wrap; font-size: 13px; }
.lane-model { color: var(--muted); font-size: 12px; }
.lane-state { margin-left: auto; font-size: 12px; color: var(--muted); }
.lane[data-state="streaming"] .lane-state { color: var(--accent); }
.lane[data-state="ok"] .lane-state { color: #11693a; }
.lane[data-state="failed"] .lane-state { color: #b3261e; }
.lane[data-state="cancelled"] .lane-state, .lane[data-state="retrying"] .lane-state { color: #8a4b00; }
.lane-retry { margin: 4px 0 0; font-size: 12px; color: #8a4b00; }
.lane-text, .answer-text { white-space: pre-wrap; overflow-wrap: anywhere; margin: 6px 0 0; }
#answer { border: 1px solid var(--line); border-radius: 8px; padding: 4px 12px 10px; min-height: 48px; background: #fbfcfe; overflow-wrap: anywhere; }
#answer .answer-text { margin: 6px 0 10px; }
#answer .answer-heading { margin: 12px 0 4px; font-size: 15px; line-height: 1.3; }
#answer h5.answer-heading, #answer h6.answer-heading { font-size: 14px; }
#answer[data-final="true"] { border-color: #9ccfb0; }
svg#waterfall { width: 100%; height: auto; display: block; }
.wf-label, .wf-ms, .wf-tick { font: 12px system-ui, sans-serif; fill: var(--ink); }
.wf-ms, .wf-tick { fill: var(--muted); }
.wf-grid { stroke: #eef1f6; }
.wf-axis { stroke: #9aa3b5; }
.wf-stage-validation { fill: #8e9bb5; } .wf-stage-routing { fill: #7a8fd6; } .wf-stage-cache { fill: #3fa37a; }
.wf-stage-execution { fill: #2f6fed; } .wf-stage-fusion { fill: #9b59d0; } .wf-stage-outputGuard { fill: #d9822b; }
.wf-expert-ok { fill: #4a86f0; } .wf-expert-failed { fill: #d9534f; } .wf-expert-cancelled { fill: #c9a227; }
.wf-wait { fill: #fff; fill-opacity: .6; }
footer { margin-top: 20px; color: var(--muted); font-size: 12px; }
`;

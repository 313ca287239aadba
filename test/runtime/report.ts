/**
 * @file The program side of the runtime harness: runs a program's `main` and hands its result to
 * whoever runs it, the same way in every runtime:
 *  - Node / Deno: one stdout line `RESULT <json>`; on failure `ERROR <message>` on stderr, exit 1.
 *  - browser: `<pre id="result">json</pre>`, or `<pre id="error">message</pre>` shown on the page
 *    (so a person opening it sees why, e.g. "no WebGPU"), read by test/runtime/runners.ts.
 */

interface Runtime {
  document?: Document;
  Deno?: { exit(code: number): never };
  process?: { exitCode?: number };
}

function show(id: 'result' | 'error', text: string, doc: Document): void {
  const pre = doc.createElement('pre');
  pre.id = id;
  pre.textContent = text;
  if (id === 'error') pre.style.color = '#b00020';
  doc.body.appendChild(pre);
  doc.title = `${id}`;
}

export async function report(main: () => Promise<unknown>): Promise<void> {
  const rt = globalThis as Runtime;
  let out: { ok: true; json: string } | { ok: false; message: string };
  try {
    out = { ok: true, json: JSON.stringify(await main()) };
  } catch (e) {
    out = { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
  if (rt.document) {
    show(out.ok ? 'result' : 'error', out.ok ? out.json : out.message, rt.document);
  } else if (out.ok) {
    console.log(`RESULT ${out.json}`);
  } else {
    console.error(`ERROR ${out.message}`);
    if (rt.Deno) rt.Deno.exit(1);
    else if (rt.process) rt.process.exitCode = 1;
  }
}

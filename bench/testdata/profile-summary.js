// Summarises a DevTools .cpuprofile (BENCH_PROFILE): self time by
// function, the top N (40). The wasm files are built stripped, so their
// functions show as wasm-function[i]; given the same program built
// without -s (same code, same indices), it names them.
//
//	GOOS=js GOARCH=wasm go build -trimpath -o /tmp/names.wasm ./wasm/cmd/module
//	node bench/testdata/profile-summary.js /tmp/prof/module-burst.cpuprofile 40 /tmp/names.wasm
const fs = require("fs");
const prof = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const names = process.argv[4] ? wasmNames(process.argv[4]) : new Map();

// wasmNames reads the function names of a wasm file's "name" section.
function wasmNames(path) {
  const mod = new WebAssembly.Module(fs.readFileSync(path));
  const b = new Uint8Array(WebAssembly.Module.customSections(mod, "name")[0]);
  let i = 0;
  const u32 = () => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const c = b[i++];
      v += (c & 0x7f) * 2 ** shift;
      if (c < 0x80) return v;
    }
  };
  const out = new Map();
  while (i < b.length) {
    const id = b[i++];
    const end = u32() + i;
    if (id === 1) {
      for (let n = u32(); n > 0; n--) {
        const idx = u32();
        const len = u32();
        out.set(idx, new TextDecoder().decode(b.subarray(i, i + len)));
        i += len;
      }
    }
    i = end;
  }
  return out;
}
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map();
let total = 0;
for (let i = 0; i < prof.samples.length; i++) {
  const n = byId.get(prof.samples[i]);
  const dt = prof.timeDeltas[i + 1] ?? 0;
  const f = n.callFrame;
  const m = /^wasm-function\[(\d+)\]$/.exec(f.functionName);
  if (m && names.has(Number(m[1]))) f.functionName = names.get(Number(m[1]));
  const name = `${f.functionName || "(anonymous)"} ${f.url ? f.url.split("/").pop() + ":" + f.lineNumber : ""}`;
  self.set(name, (self.get(name) ?? 0) + dt);
  total += dt;
}
const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(process.argv[3] ?? 40));
console.log(`total ${(total / 1000).toFixed(1)} ms`);
for (const [name, us] of top) {
  console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(1).padStart(8)} ms  ${name}`);
}

// optviz's explorer chart: a Streamlit components-v2 module (plain ES module, no build).
//
// Python computes, the browser looks up and draws. Every number on the chart comes from
// the blob described in docs/explorer-payload.md: this file decodes it into typed-array
// views, draws them on two canvases, animates by slicing the arrays and previews a
// slider or start drag by picking the nearest precomputed path. It never implements an
// optimizer. It sends Python one state value, `commit`, once per released gesture.
//
// The first half is pure and DOM-free (unit-tested under Node: tests/js/); the second
// half, the default export, builds the DOM once per parentElement and updates it.
//
// One file on purpose: Streamlit loads an inline component's JS from a blob: URL, where
// relative imports cannot resolve.

// ------------------------------------------------------------------ the payload

export const FORMAT_VERSION = 1;
const MAGIC = "OPTV";

export class PayloadError extends Error {
  constructor(message) {
    super(message);
    this.name = "PayloadError";
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const DTYPES = { f4: Float32Array, i4: Int32Array };

function asBytes(input) {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const what = input === null ? "null" : Array.isArray(input) ? "an array" : typeof input;
  throw new PayloadError(`the chart expects its payload as bytes (Uint8Array or ArrayBuffer), got ${what}`);
}

/** Decodes a payload blob into {header, arrays}: arrays[name] = {data, shape, dtype}, where
 * data is a Float32Array or Int32Array view on the blob (no copy), unless the blob sits at an
 * offset a typed array cannot view, as a protobuf `bytes` field may: then `data` is a copy
 * of that array alone, made when it is first read. */
export function decode(input) {
  const bytes = asBytes(input);
  if (!LITTLE_ENDIAN) throw new PayloadError("this browser is big-endian; the payload is little-endian");
  // Arrays start at multiples of 8 from the blob's start; a view needs 4-byte alignment in
  // its buffer. Streamlit hands `bytes` over as a subarray of the whole message, at any
  // offset: copying the whole blob then (3.7 MB: ~2 ms) would pay for the families too,
  // which only a preview reads.
  const aligned = bytes.byteOffset % 4 === 0;
  if (bytes.length < 12) throw new PayloadError(`not an optviz payload: ${bytes.length} bytes, fewer than the 12-byte preamble`);
  const magic = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
  if (magic !== MAGIC) {
    throw new PayloadError(`not an optviz payload: it starts with ${JSON.stringify(magic)}, not "OPTV"`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(4, true);
  if (version !== FORMAT_VERSION) {
    throw new PayloadError(`payload format version ${version}; this chart reads version ${FORMAT_VERSION} ` +
      "(optviz and ui/components/explorer/explorer.js are out of step)");
  }
  const headerLength = dv.getUint32(8, true);
  if (12 + headerLength > bytes.length) {
    throw new PayloadError(`payload header says ${headerLength} bytes, but the blob holds only ${bytes.length - 12} after the preamble`);
  }
  let header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)));
  } catch (err) {
    throw new PayloadError(`payload header is not valid JSON: ${err.message}`);
  }
  if (!header || typeof header !== "object" || Array.isArray(header)) throw new PayloadError("payload header is not a JSON object");
  if (!header.arrays || typeof header.arrays !== "object") throw new PayloadError('payload header has no "arrays" table');
  const base = align8(12 + headerLength);
  const arrays = {};
  for (const [name, spec] of Object.entries(header.arrays)) {
    const { offset, shape, dtype } = spec || {};
    const Ctor = DTYPES[dtype];
    if (!Ctor) throw new PayloadError(`array "${name}": dtype ${JSON.stringify(dtype)}, expected "f4" or "i4"`);
    if (!Array.isArray(shape) || !shape.every((n) => Number.isInteger(n) && n >= 0)) {
      throw new PayloadError(`array "${name}": shape ${JSON.stringify(shape)} is not a list of sizes`);
    }
    if (!Number.isInteger(offset) || offset < 0 || offset % 8 !== 0) {
      throw new PayloadError(`array "${name}": offset ${JSON.stringify(offset)} is not a multiple of 8`);
    }
    const count = shape.reduce((a, b) => a * b, 1);
    const end = base + offset + 4 * count;
    if (end > bytes.length) {
      throw new PayloadError(`array "${name}" (${shape.join("×")} ${dtype}) ends at byte ${end}, past the blob's ${bytes.length}`);
    }
    const at = base + offset;
    arrays[name] = aligned
      ? { data: new Ctor(bytes.buffer, bytes.byteOffset + at, count), shape: shape.slice(), dtype }
      : lazy({ shape: shape.slice(), dtype }, "data", () => new Ctor(bytes.slice(at, at + 4 * count).buffer));
  }
  return { header, arrays };
}

/** `obj` with `obj[key]` computed by `get` when first read, then kept as a plain value. */
function lazy(obj, key, get) {
  Object.defineProperty(obj, key, {
    configurable: true,
    enumerable: true,
    get() {
      const value = get();
      Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
      return value;
    },
  });
  return obj;
}

function align8(n) {
  return Math.ceil(n / 8) * 8;
}

/** The header and arrays resolved into what the chart draws: typed arrays in place of the
 * names, with the shapes checked, so drawing code never looks a name up. The runs' points
 * are read at once; their values and series and the families when first used (a copy
 * each, for a misaligned blob; see decode). */
export function buildModel({ header, arrays }) {
  const need = (name, what, check) => {
    const a = arrays[name];
    if (!a) throw new PayloadError(`${what}: array ${JSON.stringify(name)} is not in the payload`);
    if (check && !check(a.shape)) throw new PayloadError(`${what}: array "${name}" has shape [${a.shape}]`);
    return a;
  };
  const view = header.view;
  if (!validRange(view?.[0]) || !validRange(view?.[1])) {
    throw new PayloadError(`header "view" must be [[x1 min, x1 max], [x2 min, x2 max]], got ${JSON.stringify(view)}`);
  }
  const runs = (header.runs || []).map((r, i) => {
    const what = `run ${i} (${r.label})`;
    const pts = need(r.points, what, (s) => s.length === 2 && s[1] === 2 && s[0] >= 1);
    const n = pts.shape[0];
    const values = r.values ? need(r.values, what, (s) => s.length === 1 && s[0] === n) : null;
    const series = (r.series || []).map((s) => {
      const a = need(s.array, `${what} series ${s.key}`, (sh) => sh[0] === n && sh[1] === 2);
      return lazy({ key: s.key, label: s.label }, "data", () => a.data);
    });
    let ensemble = null;
    if (r.ensemble) {
      const es = need(r.ensemble.steps, `${what} ensemble`, (s) => s.length === 1);
      const ep = need(r.ensemble.points, `${what} ensemble`, (s) => s.length === 3 && s[1] === es.shape[0] && s[2] === 2);
      ensemble = { K: ep.shape[0], P: ep.shape[1], points: ep.data };
    }
    return lazy({
      label: String(r.label ?? `run ${i}`), optimizer: r.optimizer, color: r.color || "#333", dashed: !!r.dashed,
      marker: MARKER_SHAPES.has(r.marker) ? r.marker : "circle",
      sameAs: Number.isInteger(r.same_as) && r.same_as >= 0 && r.same_as < i ? r.same_as : null,
      layer: Number.isInteger(r.layer) && r.layer > 0 ? r.layer : 0,
      width: Number.isFinite(r.width) && r.width > 0 ? Math.min(3, r.width) : 1,
      steps: n - 1, divergedAt: r.diverged_at ?? null, points: pts.data, series, ensemble,
    }, "values", () => (values ? values.data : null));
  });
  const families = {};
  for (const [param, fam] of Object.entries(header.families || {})) {
    const what = `family ${param}`;
    const steps = need(fam.steps, what, (s) => s.length === 1);
    const P = steps.shape[0];
    const family = lazy({ P }, "steps", () => steps.data);
    if (param === "start") {
      const x1 = need(fam.x1, what, (s) => s.length === 1);
      const x2 = need(fam.x2, what, (s) => s.length === 1);
      const points = need(fam.points, what, (s) => s.length === 4 && s[0] === x2.shape[0] && s[1] === x1.shape[0] && s[2] === P && s[3] === 2);
      lazy(lazy(lazy(family, "x1", () => x1.data), "x2", () => x2.data), "points", () => points.data);
      families.start = family;
    } else {
      const values = need(fam.values, what, (s) => s.length === 1);
      const points = need(fam.points, what, (s) => s.length === 3 && s[0] === values.shape[0] && s[1] === P && s[2] === 2);
      families[param] = lazy(lazy(family, "values", () => values.data), "points", () => points.data);
    }
  }
  let basins = null;
  if (header.basins) {
    const b = header.basins;
    const x1 = need(b.x1, "basins", (s) => s.length === 1 && s[0] >= 2);
    const x2 = need(b.x2, "basins", (s) => s.length === 1 && s[0] >= 2);
    const labels = need(b.labels, "basins", (s) => s.length === 2 && s[0] === x2.shape[0] && s[1] === x1.shape[0]);
    basins = {
      x1: x1.data, x2: x2.data, labels: labels.data, note: String(b.note ?? ""),
      minima: (b.minima || []).filter((m) => Array.isArray(m) && m.length === 2).map((m) => m.map(Number)),
    };
  }
  const c = header.contours || {};
  const lines = c.lines ? need(c.lines, "contour lines", (s) => s.length === 2 && s[1] === 4).data : null;
  const focus = Number.isInteger(header.focus) && header.focus >= 0 && header.focus < runs.length ? header.focus : null;
  return {
    title: String(header.title ?? ""),
    formula: String(header.formula ?? ""),
    surface: header.surface ?? null,
    view: [[+view[0][0], +view[0][1]], [+view[1][0], +view[1][1]]],
    minima: (header.minima || []).filter((m) => Array.isArray(m) && m.length === 2),
    contours: {
      image: typeof c.image === "string" ? c.image : null,
      extent: Array.isArray(c.extent) && c.extent.length === 4 ? c.extent.map(Number) : null,
      lines,
      colorbar: c.colorbar || null,
    },
    runs,
    T: runs.reduce((m, r) => Math.max(m, r.steps), 0),
    focus,
    // A slider needs its values (its positions); a log one, positive values.
    sliders: (header.sliders || []).flatMap((s) => {
      const values = s && s.param ? sliderValues(s.values) : null;
      if (!values || (s.scale === "log" && !(values[0] > 0))) return [];
      return [{ ...s, values, value: Number(s.value) }];
    }),
    families,
    start: Array.isArray(header.start) && header.start.length === 2 ? header.start.map(Number) : null,
    lecture: !!header.lecture,
    predict: !!header.predict, // open in the predict-then-play exercise
    basins,
    // The plane's coordinates and the function's name: x₁, x₂ and f, unless the payload
    // names others (the weight-space view: a, b and L).
    axes: Array.isArray(header.axes) && header.axes.length === 2 ? header.axes.map(String) : ["x₁", "x₂"],
    valueName: typeof header.value_name === "string" && header.value_name ? header.value_name : "f",
  };
}

function validRange(r) {
  return Array.isArray(r) && r.length === 2 && Number.isFinite(+r[0]) && Number.isFinite(+r[1]) && +r[1] > +r[0];
}

// --------------------------------------------------------------------- scales

/** A linear map from [d0, d1] to [r0, r1], with .invert. */
export function linearScale(d0, d1, r0, r1) {
  const k = (r1 - r0) / (d1 - d0);
  const s = (v) => r0 + (v - d0) * k;
  s.invert = (p) => d0 + (p - r0) / k;
  return s;
}

/** A log10 map from [d0, d1] (both > 0) to [r0, r1], with .invert. */
export function logScale(d0, d1, r0, r1) {
  if (!(d0 > 0 && d1 > 0)) throw new RangeError(`a log scale needs a positive domain, got [${d0}, ${d1}]`);
  const l0 = Math.log10(d0);
  const k = (r1 - r0) / (Math.log10(d1) - l0);
  const s = (v) => r0 + (Math.log10(v) - l0) * k;
  s.invert = (p) => 10 ** (l0 + (p - r0) / k);
  return s;
}

// ---------------------------------------------------------------------- ticks

/** The 1, 2 or 5 × 10^k step that cuts `span` into at most about `count` pieces. */
export function niceStep(span, count = 5) {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const r = raw / mag;
  return (r <= 1.0000001 ? 1 : r <= 2.0000001 ? 2 : r <= 5.0000001 ? 5 : 10) * mag;
}

/** Ticks at multiples of a nice step inside [lo, hi]: [{value, label}]. */
export function niceTicks(lo, hi, count = 5) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo)) return [];
  // At least two ticks: one alone says nothing about the scale.
  for (let c = Math.max(1, count); ; c++) {
    const step = niceStep(hi - lo, c);
    const first = Math.ceil(lo / step - 1e-9);
    const last = Math.floor(hi / step + 1e-9);
    if (last - first >= 1 || c >= count + 5) {
      const ticks = [];
      for (let i = first; i <= last; i++) {
        const value = i === 0 ? 0 : i * step;
        ticks.push({ value, label: formatTick(value, step) });
      }
      return ticks;
    }
  }
}

/** A tick label: just the digits the step needs, a true minus sign, exponents for the
 * very large and very small ("1e−5"). */
export function formatTick(value, step) {
  if (value === 0 || Math.abs(value) < Math.abs(step) * 1e-9) return "0";
  const a = Math.abs(value);
  if (a >= 1e5 || a < 1e-4) {
    const digits = Math.max(0, Math.floor(Math.log10(a) + 1e-9) - Math.floor(Math.log10(step) + 1e-9));
    return expo(value.toExponential(Math.min(digits, 6)));
  }
  // Digits enough for a 5 × 10^k step (0.05: two), trailing zeros dropped: 0.1, 0.15, 0.2.
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return minus(trimZeros(value.toFixed(Math.min(decimals, 10))));
}

function trimZeros(s) {
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}

function minus(s) {
  return s.replace(/-/g, "−");
}

function expo(s) {
  // "1.50e-5" → "1.5e−5", "2e+6" → "2e6"
  const [m, e] = s.split("e");
  return minus(`${trimZeros(m)}e${Number(e)}`);
}

/** The chart's keyboard shortcut for a keydown, or null. A lecturer's keys:
 *   space    plays or pauses
 *   ← →      step back and forward
 *   [ ]      slower and faster
 *   R        reset (a commit {param: "reset"} to Python; not in the standalone page)
 *   F        hides or shows the controls over the plot (where they overlay it: lecture
 *            mode and full screen, on a wide enough chart)
 *   P        the predict-then-play exercise on or off
 * Keys typed into a field or a select, or held with a modifier, are not the chart's; on a
 * slider (a range input) its own keys (arrows, space, Home, End…) are the slider's, the
 * letters and brackets still the chart's, so F works with the focus on β1. `target` is
 * the element the key went to (inside shadow roots: `composedPath()[0]`); `chart` says
 * which keys apply: `overlay`, the controls overlay the plot; `standalone`, the
 * downloaded page, which has no Python to reset. */
export function shortcutOf(key, target, { ctrlKey = false, metaKey = false, altKey = false } = {},
  { overlay = true, standalone = false } = {}) {
  if (ctrlKey || metaKey || altKey) return null;
  const action = { " ": "play", ArrowLeft: "back", ArrowRight: "forward", "[": "slower", "]": "faster",
    f: "controls", F: "controls", r: "reset", R: "reset", p: "predict", P: "predict" }[key] ?? null;
  if ((action === "controls" && !overlay) || (action === "reset" && standalone)) return null;
  const tag = (target?.tagName || "").toUpperCase();
  const range = tag === "INPUT" && String(target.type).toLowerCase() === "range";
  if (range) return ["controls", "reset", "slower", "faster", "predict"].includes(action) ? action : null;
  if (["INPUT", "TEXTAREA", "SELECT"].includes(tag) || target?.isContentEditable) return null;
  if (tag === "BUTTON" && (key === " " || key === "Enter")) return null; // the button's own
  return action;
}

/** Which corner of the plot the controls panel goes to: the key of `rects` (corner →
 * the panel's {x, y, w, h} there, in pixels) whose rectangle covers the fewest of
 * `points` ([x, y] pixels: the drawn paths), never one covering any of `avoid` (the
 * start square, the minima) unless every corner does, and then the one covering fewest.
 * `current` keeps its corner on a tie, so the panel does not jump under a lecturer's
 * hand when a new run covers it no more than another corner would. Ties otherwise go
 * to the first key. */
export function overlayCorner(rects, points, { avoid = [], current = null } = {}) {
  const inside = (r, [x, y]) => x >= r.x && x <= r.x + r.w && y >= r.y && y <= r.y + r.h;
  const score = (r) => {
    let covered = 0;
    for (const p of points) if (inside(r, p)) covered += 1;
    // Any avoided point outweighs every path point.
    return covered + (points.length + 1) * avoid.filter((p) => inside(r, p)).length;
  };
  let best = null;
  let bestScore = Infinity;
  for (const [corner, r] of Object.entries(rects)) {
    const s = score(r);
    if (s < bestScore || (s === bestScore && corner === current)) {
      best = corner;
      bestScore = s;
    }
  }
  return best;
}

/** `href` with the projector view switched on (`lecture=1`) or off, every other query
 * parameter as it is: the page's URL carries every setting, so the view stays the same. */
export function lectureHref(href, on) {
  const url = new URL(href);
  url.searchParams.delete("lecture");
  if (on) url.searchParams.set("lecture", "1");
  return url.href;
}

const MARKER_SHAPES = new Set(["circle", "diamond", "triangle-up", "square", "triangle-down", "hexagon"]);

/** The outline of a run's end marker `shape` (the header's "marker") of radius r around
 * (0, 0), y down: its corners, [[x, y], ...], or null for a circle. Each encloses about
 * the circle's area, so no shape looks bigger than another. */
export function markerPoints(shape, r) {
  const polygon = (n, turn, k = 1) => Array.from({ length: n }, (_, i) => {
    const a = turn + (2 * Math.PI * i) / n;
    return [k * r * Math.cos(a), k * r * Math.sin(a)];
  });
  switch (shape) {
    case "diamond": return polygon(4, -Math.PI / 2, 1.2);
    case "square": return polygon(4, -Math.PI / 4, 1.1);
    case "triangle-up": return polygon(3, -Math.PI / 2, 1.35);
    case "triangle-down": return polygon(3, Math.PI / 2, 1.35);
    case "hexagon": return polygon(6, 0, 1.05);
    default: return null;
  }
}

/** The legend's note for run i: "same path as Adam" where the header says it repeats an
 * earlier run's path ("same_as"), else "". */
export function sameNote(runs, i) {
  const j = runs[i]?.sameAs;
  return Number.isInteger(j) && j >= 0 && j < i && runs[j] ? `same path as ${runs[j].label}` : "";
}

/** A readout number: `digits` significant digits, trailing zeros dropped, exponents for
 * |v| < 0.001 or ≥ 100 000, "—" for no value (NaN). */
export function formatNumber(v, digits = 4) {
  if (v === null || v === undefined || Number.isNaN(v)) return "—";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) return expo(v.toExponential(digits - 1));
  if (a >= 10 ** digits) return minus(String(Math.round(v)));
  return minus(trimZeros(v.toPrecision(digits)));
}

// -------------------------------------------------------------------- sliders
//
// A slider's positions are its header `values` (ascending, float64): the family's
// values, each a run Python has computed. The <input type="range"> runs over their
// indices, 0..values.length − 1 in steps of 1, so an arrow key moves one value, the
// readout shows values[i] and a release commits values[i] exactly as the header has it
// (0.9, not the family's float32 0.8999999762).

/** The index of `value` among the slider's values: its own where it is one (the
 * header's `value` always is), else the nearest (in log10 for a log slider); 0 when
 * the value is not a number. */
export function sliderIndex(slider, value) {
  const { values } = slider;
  const exact = values.indexOf(value);
  if (exact >= 0) return exact;
  return Math.max(0, nearestIndex(values, value, slider.scale === "log"));
}

/** The value at index `i` (rounded, clamped to the slider's values). */
export function sliderValueAt(slider, i) {
  const { values } = slider;
  const k = Math.min(values.length - 1, Math.max(0, Math.round(Number(i) || 0)));
  return values[k];
}

/** A header slider's `values` as ascending finite numbers, or null when they are not. */
function sliderValues(values) {
  if (!Array.isArray(values) || values.length === 0) return null;
  const out = values.map(Number);
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i]) || (i > 0 && !(out[i] > out[i - 1]))) return null;
  }
  return out;
}

// -------------------------------------------------------------------- lookups

/** The index of the entry of ascending `sorted` nearest x (in log10 when `log`); -1 when
 * empty or x is NaN. Binary search. */
export function nearestIndex(sorted, x, log = false) {
  const n = sorted.length;
  if (n === 0 || Number.isNaN(x)) return -1;
  if (x <= sorted[0]) return 0;
  if (x >= sorted[n - 1]) return n - 1;
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= x) lo = mid;
    else hi = mid;
  }
  const d = log && sorted[lo] > 0
    ? [Math.log(x / sorted[lo]), Math.log(sorted[hi] / x)]
    : [x - sorted[lo], sorted[hi] - x];
  return d[1] < d[0] ? hi : lo;
}

/** The largest i with sorted[i] ≤ t, or -1: which of a family's kept steps show at step t. */
export function familyStepIndex(steps, t) {
  let lo = 0;
  let hi = steps.length - 1;
  if (hi < 0 || t < steps[0]) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (steps[mid] <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The lattice start nearest (x, y): {i, j} into x1s and x2s. */
export function nearestStart(x1s, x2s, x, y) {
  return { i: nearestIndex(x1s, x), j: nearestIndex(x2s, y) };
}

/** The focused run's exact path once slider `param` is committed at `value` (one of
 * its values), read from the family: the family's row for that value, where the family
 * keeps every step of the run (steps 0..T, no subsampling) and holds that very value.
 * Python computes the family's rows and the committed runs alike, so this row is the
 * path the commit's blob brings, point for point. null otherwise: no focused run or no
 * family, a value the family lacks, or a family that keeps only some steps (runs of
 * 300 steps or more). */
export function exactPath(model, param, value) {
  const f = model.focus;
  const slider = model.sliders.find((s) => s.param === param);
  const fam = slider && model.families[slider.family ?? slider.param];
  if (f === null || !fam || !fam.values || typeof value !== "number") return null;
  const T = model.runs[f].steps;
  if (fam.P !== T + 1) return null;
  const { steps } = fam;
  for (let k = 0; k <= T; k++) if (steps[k] !== k) return null;
  const row = nearestIndex(fam.values, value, slider.scale === "log");
  if (row < 0 || fam.values[row] !== Math.fround(value)) return null;
  return fam.points.subarray(row * fam.P * 2, (row + 1) * fam.P * 2);
}

/** `model` as the chart shows it between a slider's commit and Python's blob, when the
 * new path is known exactly (`points`, from exactPath): the focused run drawn along
 * those points, marked `pending` (its f and readout series, which the family does not
 * carry, are not known yet: `values` and each series' `data` null), the slider at
 * `value`. Everything else (the other runs, the families, the contours) is shared. */
export function withExactRun(model, param, value, points) {
  const f = model.focus;
  const run = model.runs[f];
  const n = points.length >> 1;
  let divergedAt = null;
  for (let k = 0; k < n; k++) {
    if (!(Number.isFinite(points[2 * k]) && Number.isFinite(points[2 * k + 1]))) {
      divergedAt = k;
      break;
    }
  }
  const exact = {
    label: run.label, optimizer: run.optimizer, color: run.color, dashed: run.dashed,
    marker: run.marker, sameAs: null, layer: run.layer, width: run.width,
    steps: run.steps, divergedAt, points, values: null, pending: true,
    series: run.series.map((s) => ({ key: s.key, label: s.label, data: null })),
  };
  const runs = model.runs.slice();
  runs[f] = exact;
  const sliders = model.sliders.map((s) => (s.param === param ? { ...s, value } : s));
  return { ...model, runs, sliders, committed: { param, value } };
}

/** The point of a path (flat [x0, y0, x1, y1, ...]) at step t, clamped to the path;
 * past a divergence (NaN), the last finite point before t. null when there is none. */
export function pointAt(points, t) {
  const n = points.length >> 1;
  if (n === 0) return null;
  let k = Math.min(n - 1, Math.max(0, Math.floor(t)));
  while (k >= 0 && !(Number.isFinite(points[2 * k]) && Number.isFinite(points[2 * k + 1]))) k--;
  return k < 0 ? null : [points[2 * k], points[2 * k + 1], k];
}

/** The point between steps ⌊t⌋ and ⌊t⌋ + 1 (for a smooth animation); pointAt where
 * either end has no value. */
export function pointBetween(points, t) {
  const n = points.length >> 1;
  const k = Math.floor(t);
  const f = t - k;
  if (f > 0 && k >= 0 && k + 1 < n) {
    const [x0, y0, x1, y1] = [points[2 * k], points[2 * k + 1], points[2 * k + 2], points[2 * k + 3]];
    if (Number.isFinite(x0) && Number.isFinite(y0) && Number.isFinite(x1) && Number.isFinite(y1)) {
      return [x0 + f * (x1 - x0), y0 + f * (y1 - y0), k];
    }
  }
  return pointAt(points, t);
}

/** The path up to and including step t (a view, no copy). */
export function pathUpTo(points, t) {
  const n = points.length >> 1;
  const k = Math.min(n - 1, Math.max(0, Math.floor(t)));
  return points.subarray(0, 2 * (k + 1));
}

/** Row t of a (n, 2) series as [a, b] (clamped). */
export function seriesRow(data, t) {
  const n = data.length >> 1;
  const k = Math.min(n - 1, Math.max(0, Math.floor(t)));
  return [data[2 * k], data[2 * k + 1]];
}

// ----------------------------------------------------------------------- view
//
// A view is [[x1 min, x1 max], [x2 min, x2 max]] in data coordinates.

/** The view zoomed by `factor` (> 1: in) about the data point (cx, cy), which stays put. */
export function zoomView(view, factor, cx, cy) {
  const [[x0, x1], [y0, y1]] = view;
  return [[cx + (x0 - cx) / factor, cx + (x1 - cx) / factor], [cy + (y0 - cy) / factor, cy + (y1 - cy) / factor]];
}

/** The view moved by (dx, dy) in data units. */
export function panView(view, dx, dy) {
  return [[view[0][0] + dx, view[0][1] + dx], [view[1][0] + dy, view[1][1] + dy]];
}

/** `view` kept sensible relative to `home` (the payload's view): spans between
 * minFrac and maxFrac of home's, by one factor for both axes (zoom keeps the aspect),
 * and its centre no further than `reach` home spans from home's. */
export function clampView(view, home, { minFrac = 1e-4, maxFrac = 20, reach = 5 } = {}) {
  const span = (r) => r[1] - r[0];
  const mid = (r) => (r[0] + r[1]) / 2;
  const ratio = Math.max(span(view[0]) / span(home[0]), span(view[1]) / span(home[1]));
  const k = ratio < minFrac ? minFrac / ratio : ratio > maxFrac ? maxFrac / ratio : 1;
  return [0, 1].map((a) => {
    const half = (span(view[a]) * k) / 2;
    const lim = reach * span(home[a]);
    const c = Math.min(mid(home[a]) + lim, Math.max(mid(home[a]) - lim, mid(view[a])));
    return [c - half, c + half];
  });
}

/** Where the plot goes inside `box` ({x, y, w, h}, pixels): all of it, or, when the view's
 * aspect is within maxAspect : 1, the largest centred part with equal scales for x₁ and x₂
 * (as the plotly figure's scaleanchor did). */
export function plotRect(view, box, maxAspect = 3) {
  const sx = view[0][1] - view[0][0];
  const sy = view[1][1] - view[1][0];
  const aspect = sx / sy;
  if (!(aspect >= 1 / maxAspect && aspect <= maxAspect)) return { ...box, equal: false };
  const k = Math.min(box.w / sx, box.h / sy);
  const w = sx * k;
  const h = sy * k;
  return { x: box.x + (box.w - w) / 2, y: box.y + (box.h - h) / 2, w, h, equal: true };
}

/** `v` rounded to the decimal digit at or just below `resolution` (the view's data
 * units per pixel): a start dropped on a 12-wide view reads −2.35, not −2.3483907. */
export function roundToView(v, resolution) {
  const decimals = Math.max(0, Math.min(12, Math.ceil(-Math.log10(resolution) - 1e-9)));
  return Number(v.toFixed(decimals));
}

// Basins' colours: light tints, far from the runs' strong Okabe–Ito colours, so a path
// stays readable across every basin; the lattice's own minimum first.
const BASIN_COLORS = ["#9ecae1", "#fdd0a2", "#c7e9c0", "#dadaeb", "#fcbba1", "#d9d9d9", "#fde0ef", "#ffffb2"];
export const STILL_MOVING = -1;
export const DIVERGED = -2;

/** The fill of a start whose run reached minimum `label` (0, 1, ...; colours repeat past
 * eight), hatched grey for a run still moving at the end, none for one that diverged. */
export function basinColor(label) {
  if (label === DIVERGED) return null;
  if (label === STILL_MOVING || !Number.isInteger(label) || label < 0) return "#f0f0f0";
  return BASIN_COLORS[label % BASIN_COLORS.length];
}

/** The f axis of the f-against-steps plot for the runs' `values` (arrays, NaN where a
 * run has no value): log when every value is positive and they span two decades or
 * more (a run converging to f* = 0 falls by decades, and a linear axis would show it
 * flat after a few steps), else linear with a little room. null when nothing is finite. */
export function fAxis(valuesList) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const values of valuesList) {
    for (const v of values) {
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  if (!(hi >= lo)) return null;
  if (lo > 0 && hi / lo >= 100) {
    return { log: true, lo: 10 ** Math.floor(Math.log10(lo)), hi: 10 ** Math.ceil(Math.log10(hi)) };
  }
  const pad = hi > lo ? (hi - lo) * 0.05 : Math.abs(hi) * 0.05 || 1;
  return { log: false, lo: lo - pad, hi: hi + pad };
}

/** The ticks of a log axis from `lo` to `hi` (powers of ten): every decade, or every
 * second or third one where there would be more than `count`. */
export function decadeTicks(lo, hi, count = 5) {
  const first = Math.ceil(Math.log10(lo) - 1e-9);
  const last = Math.floor(Math.log10(hi) + 1e-9);
  const every = Math.max(1, Math.ceil((last - first + 1) / count));
  const ticks = [];
  // Plain digits from 0.001 to 1000, as the colour bar's; powers beyond.
  const label = (e) => (Math.abs(e) <= 3 ? (e < 0 ? (10 ** e).toFixed(-e) : String(10 ** e)) : `1e${minus(String(e))}`);
  for (let e = first; e <= last; e += every) ticks.push({ value: 10 ** e, label: label(e) });
  return ticks;
}

/** The step under pixel `x` of a plot whose steps 0..T span [left, left + width]. */
export function stepAtX(x, left, width, T) {
  if (!(width > 0) || !(T > 0)) return 0;
  return Math.min(T, Math.max(0, Math.round(((x - left) / width) * T)));
}

// ---------------------------------------------------------- predict, then play
//
// An exercise (P or the Predict button): the paths hidden, the student clicks where
// they think the focused run will be at its last step, Reveal plays the run and the
// chart measures the guess against the run's point there.

/** px a pointer may move between press and release and still click (place a guess,
 * arm the wheel) rather than drag (pan). */
export const CLICK_SLOP = 3;

/** Whether a pointer that moved (dx, dy) px since it was pressed is dragging. */
export function isDrag(dx, dy) {
  return Math.hypot(dx, dy) >= CLICK_SLOP;
}

/** The index of the run the exercise asks about: the focused one (the sliders set the
 * question up), else the first; null without runs. */
export function exerciseRunIndex(model) {
  if (!model || !model.runs.length) return null;
  return model.focus ?? 0;
}

/** The exercise's answer: where `run` is at its last step, [x, y], or null where it
 * diverged before (no finite point there). */
export function answerPoint(run) {
  const x = run.points[2 * run.steps];
  const y = run.points[2 * run.steps + 1];
  return Number.isFinite(x) && Number.isFinite(y) ? [x, y] : null;
}

/** The distance from the guess to the answer in data units; NaN without either. */
export function guessDistance(guess, answer) {
  if (!guess || !answer) return NaN;
  return Math.hypot(guess[0] - answer[0], guess[1] - answer[1]);
}

/** The line over the plot for the exercise's state: `label` and `steps` name the run
 * and its last step; `guess` is placed or null; `revealed`, the paths are shown;
 * `answered`, the reveal reached the last step; `answer` from answerPoint. */
export function exercisePrompt({ label, steps, guess = null, revealed = false, answered = false, answer = null }) {
  const question = `Where will ${label} be after ${steps} step${steps === 1 ? "" : "s"}?`;
  if (!revealed) return `${question} ${guess ? "Click again to move your guess." : "Click the plot."}`;
  if (!answered) return question;
  if (!answer) return `${label} has no point at step ${steps}: it diverged before.`;
  if (!guess) return `${label} at step ${steps}: (${formatNumber(answer[0], 3)}, ${formatNumber(answer[1], 3)}).`;
  return `Your guess was ${formatNumber(guessDistance(guess, answer), 3)} from ${label}'s point at step ${steps}.`;
}

// ============================================================== the component
//
// Everything below touches the DOM. State lives in a WeakMap keyed on parentElement:
// Streamlit calls the default export again with the same parentElement on every new
// `data`, and the chart must then update in place (zoom, step, focus all kept).

const instances = new WeakMap();
const SPEEDS = [["¼×", 0.25], ["½×", 0.5], ["1×", 1], ["2×", 2], ["4×", 4]];
const STEP_SETTLE_MS = 400;  // a step held this long is told to Python (the inspector)
const RUN_SECONDS = 4; // a whole run plays in about this long at 1×
const MARKER_STEPS = 150; // paths of longer runs are drawn without a dot per step
// px: segments reaching beyond ±GUARD are clipped before drawing (set per frame to twice
// the canvas): a diverged run's kilometre-long strokes cost the rasterizer dearly.
let GUARD = 4000;
const PENDING_MS = 6000; // a preview outlives its commit by at most this without a new blob
const DASH_BUDGET = 20000; // px of a dashed path drawn dashed; the rest solid

export default function render(component) {
  const { parentElement, data } = component;
  let st = instances.get(parentElement);
  if (!st) {
    st = create(parentElement);
    instances.set(parentElement, st);
  }
  st.setStateValue = component.setStateValue;
  st.standalone = !!component.standalone; // the downloaded page: no app to switch views
  st.renders += 1;
  if (data !== st.data) {
    st.data = data;
    update(st, data);
  }
  return st.cleanup;
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k === "html") e.innerHTML = v; // static icon markup only, never payload text
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

const ICONS = {
  play: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M7 4.5v15l13-7.5z"/></svg>',
  pause: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M6 4.5h4.5v15H6zM13.5 4.5H18v15h-4.5z"/></svg>',
  back: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M5 5h3v14H5zM20 5v14L9 12z"/></svg>',
  forward: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M16 5h3v14h-3zM4 5v14l11-7z"/></svg>',
};

function create(parentElement) {
  const root = el("div", { class: "ox" });
  const error = el("div", { class: "ox-error", role: "alert", hidden: "" });
  const title = el("span", { class: "ox-title-text" });
  const formula = el("span", { class: "ox-formula" });
  const heading = el("div", { class: "ox-title", role: "heading", "aria-level": "3" }, title, formula);
  const legend = el("ul", { class: "ox-legend", "aria-label": "Runs (click to show or hide)" });
  const bg = el("canvas", { class: "ox-bg", "aria-hidden": "true" });
  const fg = el("canvas", { class: "ox-fg", "aria-hidden": "true" });
  const hint = el("div", { class: "ox-hint-bubble", "aria-live": "polite" });
  const plot = el("div", {
    class: "ox-plot", tabindex: "0", role: "img",
    "aria-label": "Optimizer paths on the contour plot. Drag to pan, plus and minus keys to zoom, 0 to reset.",
  }, bg, fg, hint);
  const cbTicks = el("div", { class: "ox-cb-ticks" });
  const colorbar = el("div", { class: "ox-colorbar", "aria-hidden": "true" },
    el("div", { class: "ox-cb-title", text: "f" }), el("div", { class: "ox-cb-bar" }), cbTicks);
  const cbTitle = colorbar.firstChild;
  const body = el("div", { class: "ox-body" }, plot, colorbar);

  const btn = (label, icon, cls = "") => el("button", { type: "button", class: `ox-btn ${cls}`, "aria-label": label, title: label, html: icon });
  const back = btn("Step back", ICONS.back);
  const play = btn("Play", ICONS.play, "ox-play");
  const forward = btn("Step forward", ICONS.forward);
  const scrubber = el("input", { type: "range", class: "ox-scrubber", "aria-label": "Step", min: "0", max: "0", step: "1", value: "0" });
  const stepText = el("output", { class: "ox-step" });
  const speed = el("select", { class: "ox-speed", "aria-label": "Speed", title: "Speed" },
    ...SPEEDS.map(([t, v]) => el("option", { value: String(v), text: t })));
  speed.value = "1";
  const zoomIn = el("button", { type: "button", class: "ox-btn ox-zoom", "aria-label": "Zoom in", title: "Zoom in", text: "+" });
  const zoomOut = el("button", { type: "button", class: "ox-btn ox-zoom", "aria-label": "Zoom out", title: "Zoom out", text: "−" });
  const reset = el("button", { type: "button", class: "ox-btn ox-reset", "aria-label": "Reset view", title: "Reset view (double-click the plot)", text: "Reset view" });
  // A link to this very view in (or out of) lecture mode, read from the page's URL when
  // used, so whatever was changed since the page opened comes along.
  const lecture = el("a", { class: "ox-btn ox-lecture", href: "#", target: "_self" });
  // Full screen: the chart alone on the screen, lecture-sized, its sliders over the plot.
  const full = el("button", { type: "button", class: "ox-btn ox-full" });
  // Where the sliders overlay the plot (lecture mode, full screen): hides or shows them (F).
  const controls = el("button", { type: "button", class: "ox-btn ox-controls", "aria-controls": "ox-sliders" });
  const player = el("div", { class: "ox-player" },
    el("div", { class: "ox-transport" }, back, play, forward),
    scrubber, stepText, speed, el("div", { class: "ox-zoombox" }, zoomIn, zoomOut, reset, controls, lecture, full));
  const sliders = el("div", { class: "ox-sliders", id: "ox-sliders", role: "group", "aria-label": "Hyperparameters" });
  const readHead = el("div", { class: "ox-readout-head" });
  const readBody = el("tbody");
  const readout = el("div", { class: "ox-readout", "aria-live": "off" }, readHead,
    el("table", {}, el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "" }),
      el("th", { scope: "col", text: "x₁" }), el("th", { scope: "col", text: "x₂" }))), readBody));
  const readAxes = readout.querySelectorAll("thead th");
  // f against the steps, one line per run; the pointer over it moves the chart's step.
  const fCanvas = el("canvas", { class: "ox-fplot-canvas" });
  const fplot = el("div", {
    class: "ox-fplot", role: "img",
    "aria-label": "f against the steps, one line per run: point at a step to show it on the chart",
  }, el("div", { class: "ox-fplot-title", text: "f against steps" }), fCanvas);
  const fTitle = fplot.firstChild;
  const help = el("p", { class: "ox-help", text: "Drag to pan · Ctrl/⌘ + scroll to zoom (or click the plot first) · double-click to reset · drag the ■ start" });
  // One grid: the CSS moves the readout beside the plot on wide screens (a 1080-line
  // projector then shows the whole chart) and under the sliders on narrow ones.
  const grid = el("div", { class: "ox-grid" }, body, player, sliders, readout, fplot, help);
  // What the basin map's colours mean, when it is on (Python words it).
  const basinNote = el("p", { class: "ox-basins-note", hidden: "" });
  const head = el("div", { class: "ox-head" }, heading, legend, basinNote);
  root.append(error, head, grid);
  parentElement.append(root);

  const st = {
    root, error, title, formula, legend, plot, bg, fg, hint, colorbar, cbTicks, back, play, forward, player,
    scrubber, stepText, speed, sliders, readHead, readBody, readout, fplot, fCanvas,
    fCache: null, fDrawnStep: null, // the f plot's lines (redrawn when the runs change), its marker's step
    sliderRows: new Map(), // param → {row, input, output, slider}
    data: undefined, setStateValue: null,
    model: null, // what is drawn: blobModel, or it with a committed exact path (commit)
    blobModel: null, // the last blob's
    pendingParam: null, // the param of the commit awaiting its blob
    commits: 0, // commits so far (an exact path drawn late checks it is still the last)
    step: 0, playing: false, speedFactor: 1, lastTs: null,
    userView: null, // the zoomed / panned view, or null: the payload's
    preview: null, // {kind: "param", param, value} | {kind: "start", x, y}
    gesture: null, // the pointer gesture on the plot: {kind: "pan" | "start", ...}
    sliderDrag: null, // the param whose slider is held
    armed: false, // wheel zooms without a modifier (after a click on the plot)
    hidden: new Set(), // legend labels toggled off
    image: null, imageSrc: null,
    size: { w: 0, h: 0, dpr: 1 }, rect: null, ticks: null, aspect: 1.6,
    dirtyLayout: true, dirtyBg: true, raf: 0, readoutKey: "", renders: 0,
    pending: false, pendingTimer: 0, hintTimer: 0, // a commit awaiting its blob; the hint
    runIds: [], runSerial: 0, layers: [], trailCarry: [], redrawn: 0, // see drawTrail
    legendKey: "", colorbarKey: "", held: false, holdTimer: 0,
    pendingInput: null, stats: [], loads: [], // input → drawn latencies; new blobs (tests)
    overlay: false, // the sliders sit over the plot (see layout)
    corner: null, dirtyCorner: true, // the overlay's corner of the plot (see placeOverlay)
    plotTop: null, checkTop: false, // lecture mode: the plot's top on the page at the last layout
    resets: 0, // R presses so far: each reset commit carries the next, so no two are equal
  };
  // A handle for tests and debugging (read-only by convention).
  root.__explorer = {
    get view() { return currentView(st); },
    get step() { return st.step; },
    get playing() { return st.playing; },
    get preview() { return st.preview; },
    /** Whether a commit awaits Python's blob (at most PENDING_MS). */
    get pending() { return st.pending; },
    get steps() { return st.model ? st.model.T : 0; },
    /** The committed runs as drawn: legend name, dashed, x and y of every point (tests);
     * after a slider's release onto an exact path (see commit), the focused run's is
     * that path until the blob arrives. */
    get runs() {
      if (!st.model) return null;
      return st.model.runs.map((r) => ({
        name: r.label, dashed: r.dashed, color: r.color, width: r.width, sameAs: r.sameAs,
        x: Array.from(r.points.filter((_, i) => i % 2 === 0)),
        y: Array.from(r.points.filter((_, i) => i % 2 === 1)),
      }));
    },
    /** Renderer calls, plus each time `runs` changed without one (an exact path shown
     * at a release, or taken back): `runs` may have changed when this has. */
    get renders() { return st.renders; },
    /** How many runs have been drawn whole onto the trail's layers so far (see drawTrail). */
    get redrawn() { return st.redrawn; },
    /** Viewport coordinates of the data point (x, y). */
    pixelOf(x, y) {
      const b = st.fg.getBoundingClientRect();
      const [px, py] = toPixel(st, x, y);
      return [b.left + px, b.top + py];
    },
    stats: st.stats,
    /** Per new blob: the renderer's time with it (decode, model, DOM; ms), its bytes and
     * the time of the first animation frame after it (ms; null until drawn). */
    loads: st.loads,
    /** Draws the paths at n steps across the run, each forced to raster (a 1-pixel read
     * flushes the canvas): the true cost of an animation frame's drawing, in ms each. */
    benchDraw(n = 100) {
      const times = [];
      const keep = st.step;
      const ctx = st.fg.getContext("2d");
      for (let i = 1; i <= n; i++) {
        st.step = (st.model.T * i) / n;
        const t0 = performance.now();
        drawForeground(st);
        ctx.getImageData(0, 0, 1, 1);
        times.push(performance.now() - t0);
      }
      st.step = keep;
      schedule(st);
      return times;
    },
  };

  st.lectureLink = lecture;
  st.head = head;
  st.names = { cbTitle, readAxes, fTitle };
  st.basinNote = basinNote;
  st.fullButton = full;
  st.controlsButton = controls;
  wireFullScreen(st);
  wireControls(st, { zoomIn, zoomOut, reset });
  wirePlot(st);
  wireFPlot(st);
  wireExercise(st);
  const ro = new ResizeObserver(() => {
    st.dirtyLayout = true;
    schedule(st);
  });
  ro.observe(root);
  const onKey = (e) => onShortcut(st, e);
  document.addEventListener("keydown", onKey);
  // R is also Streamlit's own key (rerun the whole page, on the document): here it is the
  // chart's, so it stops at the window, before Streamlit sees it.
  const onResetKey = (e) => {
    if (!st.model || !st.root.isConnected) return;
    if (shortcutOf(e.key, e.composedPath()[0], e, { overlay: st.overlay, standalone: st.standalone }) !== "reset") return;
    e.preventDefault();
    e.stopPropagation();
    sendReset(st);
  };
  window.addEventListener("keydown", onResetKey, true);
  // Lecture mode and full screen fit the plot to the window's height, which can change
  // without the chart's width (the root's observer sees only that).
  const onResize = () => {
    st.dirtyLayout = true;
    schedule(st);
  };
  window.addEventListener("resize", onResize);
  // The page's web fonts may move the chart down once loaded (lecture mode fits it).
  document.fonts?.ready.then(() => {
    st.checkTop = !!st.model?.lecture;
    schedule(st);
  });
  st.cleanup = () => {
    document.removeEventListener("keydown", onKey);
    window.removeEventListener("keydown", onResetKey, true);
    window.removeEventListener("resize", onResize);
    ro.disconnect();
    clearTimeout(st.pendingTimer);
    clearTimeout(st.stepTimer);
    clearTimeout(st.hintTimer);
    clearTimeout(st.holdTimer);
    st.held = true; // no frame after the cleanup
    if (st.raf) cancelAnimationFrame(st.raf);
    st.raf = 0;
    st.playing = false;
    root.remove();
    instances.delete(parentElement);
  };
  return st;
}

// ------------------------------------------------------------------ updating

function update(st, data) {
  const t0 = performance.now();
  let model;
  try {
    if (data === null || data === undefined) throw new PayloadError("no payload yet");
    model = buildModel(decode(data));
  } catch (err) {
    st.error.textContent = `The chart could not read its data: ${err.message}`;
    st.error.hidden = false;
    console.error("optviz explorer:", err);
    return;
  }
  st.error.hidden = true;
  clearTimeout(st.pendingTimer);
  st.pending = false;
  st.pendingParam = null;
  const old = st.model; // as drawn: an exact path shown since a commit counts as drawn
  st.model = model;
  st.blobModel = model;
  // A run drawn as before keeps its id, and the trail's layers holding only such runs are
  // not redrawn (see drawTrail): a commit usually changes the focused run alone.
  const ids = model.runs.map((run, i) => (old && sameRun(old.runs[i], run) ? st.runIds[i] : ++st.runSerial));
  if (ids.length !== st.runIds.length || ids.some((id, i) => id !== st.runIds[i])) st.dirtyCorner = true;
  st.runIds = ids;
  // Lecture mode: a note above the chart (the lesson's settings changed) may have come
  // or gone with this run, moving the plot's top: the next frame checks it.
  st.checkTop = model.lecture;
  // The zoom is the user's until the surface changes (as plotly's uirevision was); the
  // plot's height follows the surface's first view, not every payload's.
  if (!old || old.surface !== model.surface) {
    st.userView = null;
    st.aspect = (model.view[0][1] - model.view[0][0]) / (model.view[1][1] - model.view[1][0]);
  }
  // The axes and the contours are laid out and drawn again only when they change.
  if (!old || old.lecture !== model.lecture || !sameView(old.view, model.view)) st.dirtyLayout = true;
  if (!old || !sameContours(old.contours, model.contours)) st.dirtyBg = true;
  if (old && !sameBasins(old.basins, model.basins)) st.dirtyBg = true;
  if (old && model.runs.some((r, i) => !sameEnsemble(old.runs[i]?.ensemble, r.ensemble))) st.dirtyBg = true;
  // The step survives a new payload, clamped; one sitting at the end of the old runs
  // (the first look shows whole paths) follows the end of the new ones.
  st.step = !old || st.step >= old.T ? model.T : Math.min(st.step, model.T);
  if (st.step >= model.T) st.playing = false;
  // A preview lasts until the exact runs arrive, unless a slider is still held.
  if (!st.sliderDrag && st.gesture?.kind !== "start") st.preview = null;

  st.root.classList.toggle("lecture", model.lecture);
  st.lectureLink.hidden = st.standalone;
  st.lectureLink.textContent = model.lecture ? "Leave lecture mode" : "Lecture mode";
  st.lectureLink.title = model.lecture ? "Back to the page with its settings"
    : "This view, full width and large, for a projector";
  st.title.textContent = model.title;
  st.names.cbTitle.textContent = model.valueName;
  st.names.readAxes[1].textContent = model.axes[0];
  st.names.readAxes[2].textContent = model.axes[1];
  st.names.fTitle.textContent = `${model.valueName} against steps`;
  st.basinNote.hidden = !model.basins;
  st.basinNote.textContent = model.basins ? model.basins.note : "";
  st.formula.textContent = model.formula;
  updateLegend(st);
  updateSliders(st);
  updateColorbar(st);
  st.scrubber.max = String(model.T);
  st.loads.push({ apply: performance.now() - t0, bytes: data.byteLength, frame: null });
  if (st.loads.length > 100) st.loads.splice(0, 50);
  const src = model.contours.image;
  if (src !== st.imageSrc) {
    st.imageSrc = src;
    if (src) {
      const img = new Image();
      img.onload = () => {
        if (st.imageSrc !== src) return;
        st.image = img; // the old image stays until the new one is ready: no flash
        st.dirtyBg = true;
        schedule(st);
      };
      img.src = src;
    } else {
      st.image = null;
    }
  }
  st.readoutKey = "";
  st.fCache = null;
  exerciseOnBlob(st, model);
  syncPlayer(st);
  schedule(st);
}

/** Whether run `b` is drawn exactly as run `a` (undefined: no): label, colour, dash,
 * width, layer and the same points, bit for bit (NaN included). */
function sameRun(a, b) {
  if (!a || a.label !== b.label || a.color !== b.color || a.dashed !== b.dashed) return false;
  if (a.width !== b.width || a.layer !== b.layer) return false;
  return sameBits(a.points, b.points);
}

function sameBits(a, b) {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  const x = new Int32Array(a.buffer, a.byteOffset, a.length);
  const y = new Int32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

function sameView(a, b) {
  return a[0][0] === b[0][0] && a[0][1] === b[0][1] && a[1][0] === b[1][0] && a[1][1] === b[1][1];
}

function sameEnsemble(a, b) {
  if (!a || !b) return a === b;
  return a.K === b.K && sameBits(a.points, b.points);
}

function sameBasins(a, b) {
  if (!a || !b) return a === b;
  return sameBits(a.x1, b.x1) && sameBits(a.x2, b.x2) && sameBits(a.labels, b.labels);
}

function sameContours(a, b) {
  return a.image === b.image && String(a.extent) === String(b.extent) && sameBits(a.lines, b.lines);
}

function updateLegend(st) {
  const { model } = st;
  const key = JSON.stringify([model.focus, model.runs.map((r) => [r.label, r.color, r.dashed, r.marker, r.sameAs])]);
  if (key === st.legendKey) return; // the buttons (and their pressed states) stay
  st.legendKey = key;
  const items = model.runs.map((r, i) => {
    const note = sameNote(model.runs, i);
    const text = el("span", { class: "ox-item-text", text: r.label });
    if (note) text.append(el("span", { class: "ox-same", text: ` (${note})` }));
    const on = !st.hidden.has(r.label);
    const b = el("button", { type: "button", class: `ox-item${i === model.focus ? " focus" : ""}`, "aria-pressed": String(on),
      title: i === model.focus ? "The sliders act on this run. Click to show or hide." : "Click to show or hide" },
    swatchOf(r), text);
    b.addEventListener("click", () => {
      if (st.hidden.has(r.label)) st.hidden.delete(r.label);
      else st.hidden.add(r.label);
      b.setAttribute("aria-pressed", String(!st.hidden.has(r.label)));
      st.dirtyCorner = true;
      st.fCache = null;
      if (r.ensemble) st.dirtyBg = true; // its faint paths go or come with it
      schedule(st);
    });
    return el("li", {}, b);
  });
  st.legend.replaceChildren(...items);
}

/** A legend swatch: the run's line (dashed for a reference) with its end marker on it. */
function swatchOf(run) {
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("class", "ox-swatch");
  svg.setAttribute("viewBox", "0 0 40 20");
  svg.setAttribute("aria-hidden", "true");
  const color = run.dashed ? fade(run.color, 0.35) : run.color;
  const line = document.createElementNS(NS, "line");
  for (const [k, v] of [["x1", 1], ["y1", 10], ["x2", 39], ["y2", 10], ["stroke", color], ["stroke-width", 4]]) line.setAttribute(k, v);
  if (run.dashed) line.setAttribute("stroke-dasharray", "8 5");
  const pts = markerPoints(run.marker, 5.5);
  const mark = document.createElementNS(NS, pts ? "polygon" : "circle");
  if (pts) mark.setAttribute("points", pts.map(([x, y]) => `${(20 + x).toFixed(2)},${(10 + y).toFixed(2)}`).join(" "));
  else for (const [k, v] of [["cx", 20], ["cy", 10], ["r", 5.5]]) mark.setAttribute(k, v);
  for (const [k, v] of [["fill", "#fff"], ["stroke", color], ["stroke-width", 3]]) mark.setAttribute(k, v);
  svg.append(line, mark);
  return svg;
}

function updateColorbar(st) {
  const cb = st.model.contours.colorbar;
  const key = JSON.stringify(cb);
  if (key === st.colorbarKey) return;
  st.colorbarKey = key;
  st.colorbar.hidden = !cb;
  if (!cb) return;
  const stops = (cb.stops || []).map(([at, c]) => `${c} ${(100 * at).toFixed(2)}%`).join(", ");
  st.colorbar.style.setProperty("--cb-gradient", stops || "#eee, #bbb");
  st.cbTicks.replaceChildren(...(cb.ticks || []).map((t) => {
    const e = el("span", { class: "ox-cb-tick", text: String(t.label) });
    e.style.setProperty("--at", String(Math.min(1, Math.max(0, +t.at))));
    return e;
  }));
}

function updateSliders(st) {
  const { model } = st;
  const want = model.sliders.map((s) => s.param);
  // Rows are keyed on the param: kept (and not rebuilt) while the focused optimizer
  // keeps its hyperparameters, so a held slider is never replaced under the pointer.
  for (const [param, row] of st.sliderRows) {
    if (!want.includes(param)) {
      row.row.remove();
      st.sliderRows.delete(param);
    }
  }
  model.sliders.forEach((slider, i) => {
    let row = st.sliderRows.get(slider.param);
    if (!row) row = makeSliderRow(st, slider.param);
    row.slider = slider;
    row.name.textContent = slider.label;
    row.input.setAttribute("aria-label", slider.label);
    row.input.max = String(slider.values.length - 1);
    if (st.sliderDrag !== slider.param) {
      const i = sliderIndex(slider, slider.value);
      row.input.value = String(i);
      setSliderText(row, slider.values[i]);
    }
    if (st.sliders.children[i] !== row.row) st.sliders.insertBefore(row.row, st.sliders.children[i] || null);
  });
}

function makeSliderRow(st, param) {
  const name = el("span", { class: "ox-slider-name" });
  const input = el("input", { type: "range", min: "0", step: "1" });
  const output = el("output", { class: "ox-slider-value" });
  const row = { row: el("div", { class: "ox-slider" }, name, input, output), name, input, output, slider: null };
  const valueNow = () => sliderValueAt(row.slider, input.value);
  input.addEventListener("pointerdown", () => { st.sliderDrag = param; });
  const release = () => { if (st.sliderDrag === param) st.sliderDrag = null; };
  input.addEventListener("pointerup", release);
  input.addEventListener("pointercancel", release);
  input.addEventListener("input", (e) => {
    // Only the browser works while dragging: pick the nearest precomputed path and
    // redraw at the next frame. Nothing goes to Python until `change`.
    const value = valueNow();
    setSliderText(row, value);
    const back = sliderIndex(row.slider, row.slider.value) === Number(input.value);
    st.preview = back ? null : { kind: "param", param, value };
    st.pendingInput = e.timeStamp;
    schedule(st);
  });
  input.addEventListener("change", () => {
    // Fired once when a drag is released and once per arrow key: one commit each.
    release();
    commit(st, { param, value: valueNow() });
  });
  st.sliderRows.set(param, row);
  return row;
}

function setSliderText(row, value) {
  const text = formatNumber(value, 4);
  row.output.textContent = text;
  row.input.setAttribute("aria-valuetext", text);
}

function commit(st, value) {
  // First, before any drawing: Streamlit sends the rerun request from a setTimeout(0)
  // that setStateValue queues, and Chromium runs the animation frame due after an input
  // event ahead of timers, so a frame drawn now would hold the request back by its
  // length. Frames wait for a timeout queued after Streamlit's (holdFrames).
  if (typeof st.setStateValue === "function") st.setStateValue("commit", value);
  // A slider released on a value whose exact path the family holds (every step kept)
  // shows that path as the focused run's committed one, drawn in that timeout, right
  // after the request has gone; only its readout waits for Python. Drawn here instead,
  // it would reach the screen a frame sooner but hold the request back by the canvas's
  // raster (headless Chromium, software canvas, the default view: the request left ~4 ms
  // later than with no drawing; drawn in the timeout, ~0.3 ms). Not after another
  // parameter's pending commit: the families were computed around the run before it.
  const base = st.blobModel;
  const points = base && value.param !== "start" && (st.pendingParam === null || st.pendingParam === value.param)
    ? exactPath(base, value.param, value.value) : null;
  // Back on the blob's own value: the blob's runs are the answer, and every family holds.
  const same = !!points && base.sliders.find((s) => s.param === value.param)?.value === value.value;
  const serial = ++st.commits;
  st.pending = true;
  st.pendingParam = same ? null : value.param;
  st.readoutKey = "";
  clearTimeout(st.pendingTimer);
  st.pendingTimer = setTimeout(() => fallBack(st), PENDING_MS);
  if (!points) {
    // The preview stays until Python's new blob arrives.
    holdFrames(st);
    return;
  }
  holdFrames(st, () => {
    if (st.commits !== serial || st.blobModel !== base) return; // overtaken
    st.preview = null;
    showModel(st, same ? base : withExactRun(base, value.param, value.value, points));
    if (st.raf) cancelAnimationFrame(st.raf);
    frame(st, performance.now());
    return true;
  });
}

/** Shows `model` in place of the one drawn (the blob's, or one with an exact path
 * pending): the focused run's layer is drawn again, the handle's `runs` follow. */
function showModel(st, model) {
  if (model === st.model) return;
  const f = model.focus;
  if (f !== null) st.runIds[f] = sameRun(st.model.runs[f], model.runs[f]) ? st.runIds[f] : ++st.runSerial;
  st.model = model;
  st.renders += 1; // the handle's `runs` changed: read them again (benchmarks/ui_latency.py)
  st.readoutKey = "";
  st.fCache = null;
  updateSliders(st);
}

/** PENDING_MS after a commit without a new blob: Streamlit does not call the renderer
 * again when the blob is byte-for-byte unchanged (a commit Python ignored, or the same
 * value twice). Back to what the blob says: an exact path shown meanwhile is taken
 * back, the preview dropped (unless a gesture still holds it), the sliders reset. */
function fallBack(st) {
  st.pending = false;
  st.pendingParam = null;
  st.readoutKey = "";
  if (!st.blobModel) return;
  showModel(st, st.blobModel);
  if (!st.sliderDrag && st.gesture?.kind !== "start") st.preview = null;
  updateSliders(st);
  schedule(st);
}

// ------------------------------------------------------------------ controls

/** A lecturer's keys anywhere on the page (see `shortcutOf`); R is handled before
 * Streamlit's own (see create). */
function onShortcut(st, e) {
  if (e.defaultPrevented || !st.model || !st.root.isConnected) return;
  const action = shortcutOf(e.key, e.composedPath()[0], e, { overlay: st.overlay, standalone: st.standalone });
  if (!action || action === "reset") return; // R: sent at the window (see create)
  e.preventDefault(); // space would scroll the page, arrows too
  if (action === "controls") toggleControls(st);
  else if (action === "predict") toggleExercise(st);
  else if (action === "play") st.play.click();
  else if (action === "back") st.stepBy(-1);
  else if (action === "forward") st.stepBy(1);
  else {
    const i = SPEEDS.findIndex(([, v]) => v === st.speedFactor);
    const j = Math.min(SPEEDS.length - 1, Math.max(0, i + (action === "faster" ? 1 : -1)));
    st.speedFactor = SPEEDS[j][1];
    st.speed.value = String(st.speedFactor);
  }
}

/** Hides or shows the sliders over the plot (class `bare`; they still take part in the
 * layout, invisible, so the panel keeps its size and corner). */
function toggleControls(st) {
  st.root.classList.toggle("bare");
  syncControlsButton(st);
}

function syncControlsButton(st) {
  const shown = !st.root.classList.contains("bare");
  const b = st.controlsButton;
  b.textContent = shown ? "Hide controls" : "Show controls";
  b.title = `${shown ? "Hide" : "Show"} the sliders over the plot (F)`;
  b.setAttribute("aria-expanded", String(shown));
}

/** R: tells Python to reset, as state value `commit` = {param: "reset", n}, where n
 * counts the presses. Streamlit calls the page's on_commit callback only when the value
 * differs from the last one (a shallow != per state key), so without n a second R
 * would never arrive. Not a slider's commit: no exact path, nothing pending. */
function sendReset(st) {
  if (typeof st.setStateValue === "function") st.setStateValue("commit", { param: "reset", n: ++st.resets });
}

function wireFullScreen(st) {
  const { root, fullButton } = st;
  const label = () => {
    const on = root.classList.contains("full");
    fullButton.textContent = on ? "Exit full screen" : "Full screen";
    fullButton.title = on ? "Back to the page (Esc); F hides or shows the sliders"
      : "The chart alone on the screen, for a projector (F then hides the sliders)";
  };
  fullButton.hidden = !document.fullscreenEnabled;
  label();
  syncControlsButton(st);
  st.controlsButton.addEventListener("click", () => toggleControls(st));
  fullButton.addEventListener("click", () => {
    if (root.classList.contains("full")) document.exitFullscreen?.();
    else root.requestFullscreen?.().catch(() => {});
  });
  root.addEventListener("fullscreenchange", () => {
    const on = root.getRootNode().fullscreenElement === root || document.fullscreenElement === root;
    root.classList.toggle("full", on);
    label();
    st.dirtyLayout = true;
    schedule(st);
  });
}

function wireControls(st, { zoomIn, zoomOut, reset }) {
  st.play.addEventListener("click", () => {
    if (!st.model) return;
    if (st.exercise && !st.exercise.revealed) return reveal(st); // Play reveals the answer
    if (st.playing) {
      st.playing = false;
      settleStep(st);
    } else {
      if (st.step >= st.model.T) st.step = 0;
      st.playing = true;
      st.lastTs = null;
    }
    syncPlayer(st);
    schedule(st);
  });
  const stepBy = (d) => {
    if (!st.model) return;
    st.playing = false;
    st.step = Math.min(st.model.T, Math.max(0, (d < 0 ? Math.ceil(st.step) : Math.floor(st.step)) + d));
    syncPlayer(st);
    schedule(st);
    settleStep(st);
  };
  st.stepBy = stepBy;
  st.back.addEventListener("click", () => stepBy(-1));
  st.forward.addEventListener("click", () => stepBy(1));
  st.scrubber.addEventListener("input", () => {
    st.playing = false;
    st.step = Number(st.scrubber.value);
    syncPlayer(st);
    schedule(st);
  });
  st.scrubber.addEventListener("change", () => settleStep(st));
  st.speed.addEventListener("change", () => { st.speedFactor = Number(st.speed.value) || 1; });
  const zoomBy = (f) => {
    if (!st.model) return;
    const v = currentView(st);
    setView(st, zoomView(v, f, (v[0][0] + v[0][1]) / 2, (v[1][0] + v[1][1]) / 2));
  };
  zoomIn.addEventListener("click", () => zoomBy(1.5));
  zoomOut.addEventListener("click", () => zoomBy(1 / 1.5));
  reset.addEventListener("click", () => resetView(st));
  const follow = () => {
    if (st.model) st.lectureLink.href = lectureHref(window.location.href, !st.model.lecture);
  };
  for (const type of ["pointerenter", "focus", "click"]) st.lectureLink.addEventListener(type, follow);
}

/** Tells Python the step the chart rests on (state value `step`), once the step has
 * stayed put for STEP_SETTLE_MS and differs from the last one told: the page's state
 * inspector follows it. Never while playing, so an animation sends nothing. */
function settleStep(st) {
  clearTimeout(st.stepTimer);
  st.stepTimer = setTimeout(() => {
    const k = Math.round(st.step);
    if (st.playing || k === st.toldStep || typeof st.setStateValue !== "function") return;
    st.toldStep = k;
    st.setStateValue("step", k);
  }, STEP_SETTLE_MS);
}

function syncPlayer(st) {
  const T = st.model ? st.model.T : 0;
  const k = Math.floor(st.step);
  st.scrubber.value = String(k);
  st.stepText.textContent = `Step ${k} / ${T}`;
  const label = st.playing ? "Pause" : "Play";
  if (st.play.getAttribute("aria-label") !== label) {
    st.play.setAttribute("aria-label", label);
    st.play.title = label;
    st.play.innerHTML = st.playing ? ICONS.pause : ICONS.play;
  }
}

function currentView(st) {
  return st.userView || (st.model ? st.model.view : [[0, 1], [0, 1]]);
}

function setView(st, view) {
  st.userView = clampView(view, st.model.view);
  st.dirtyLayout = true;
  schedule(st);
}

function resetView(st) {
  st.userView = null;
  st.dirtyLayout = true;
  schedule(st);
}

// -------------------------------------------------------------- plot gestures

function wirePlot(st) {
  const { fg, plot } = st;
  const local = (e) => {
    const r = fg.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  };
  const toData = (px, py) => {
    const { rect } = st;
    const [[x0, x1], [y0, y1]] = currentView(st);
    return [x0 + ((px - rect.x) / rect.w) * (x1 - x0), y1 - ((py - rect.y) / rect.h) * (y1 - y0)];
  };
  const inRect = (px, py) => st.rect && px >= st.rect.x && px <= st.rect.x + st.rect.w && py >= st.rect.y && py <= st.rect.y + st.rect.h;
  const onStart = (px, py) => {
    const s = st.model?.start;
    if (!s || !st.rect) return false;
    const [sx, sy] = toPixel(st, s[0], s[1]);
    return Math.hypot(px - sx, py - sy) <= (st.model.lecture ? 22 : 15);
  };

  fg.addEventListener("pointerdown", (e) => {
    if (!st.model || e.button !== 0) return;
    const [px, py] = local(e);
    if (onStart(px, py)) {
      st.gesture = { kind: "start", id: e.pointerId, moved: false };
    } else if (inRect(px, py)) {
      st.gesture = { kind: "pan", id: e.pointerId, px, py, view: currentView(st), moved: false };
    } else return;
    fg.setPointerCapture(e.pointerId);
    e.preventDefault(); // no text selection; focus is given below, on purpose
    plot.focus({ preventScroll: true });
  });
  fg.addEventListener("pointermove", (e) => {
    const [px, py] = local(e);
    const g = st.gesture;
    if (!g || g.id !== e.pointerId) {
      if (st.model) fg.style.cursor = onStart(px, py) ? "move" : inRect(px, py) ? (asking(st) ? "crosshair" : "grab") : "";
      return;
    }
    if (g.kind === "start") {
      const [x, y] = toData(px, py);
      g.moved = true;
      st.preview = { kind: "start", x, y };
      st.pendingInput = e.timeStamp;
      schedule(st);
    } else {
      const dx = px - g.px;
      const dy = py - g.py;
      if (!g.moved && !isDrag(dx, dy)) return;
      g.moved = true;
      fg.style.cursor = "grabbing";
      const [[x0, x1], [y0, y1]] = g.view;
      setView(st, panView(g.view, (-dx / st.rect.w) * (x1 - x0), (dy / st.rect.h) * (y1 - y0)));
    }
  });
  const end = (e, cancelled) => {
    const g = st.gesture;
    if (!g || g.id !== e.pointerId) return;
    st.gesture = null;
    fg.style.cursor = "";
    if (g.kind === "start") {
      if (g.moved && !cancelled && st.preview?.kind === "start") {
        const [[x0, x1], [y0, y1]] = currentView(st);
        const { x, y } = st.preview;
        const res = [(x1 - x0) / st.rect.w, (y1 - y0) / st.rect.h];
        commit(st, { param: "start", value: [roundToView(x, res[0]), roundToView(y, res[1])] });
      } else {
        st.preview = null;
        schedule(st);
      }
    } else if (!g.moved && !cancelled) {
      st.armed = true; // a click on the plot: the wheel zooms from now on (until it leaves)
    }
    if (!g.moved && !cancelled && asking(st)) placeGuess(st, toData(...local(e)));
  };
  fg.addEventListener("pointerup", (e) => end(e, false));
  fg.addEventListener("pointercancel", (e) => end(e, true));
  plot.addEventListener("pointerleave", () => { st.armed = false; });
  plot.addEventListener("blur", () => { st.armed = false; });

  // The page scrolls unless Ctrl/⌘ is held (a trackpad pinch sends ctrlKey too) or the
  // plot was clicked: a lecturer scrolling past the chart never gets it zoomed.
  fg.addEventListener("wheel", (e) => {
    if (!st.model || !st.rect) return;
    if (!(e.ctrlKey || e.metaKey || st.armed)) {
      showHint(st, "Ctrl/⌘ + scroll to zoom, or click the plot first");
      return;
    }
    e.preventDefault();
    const [px, py] = local(e);
    if (!inRect(px, py)) return;
    const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1;
    const factor = Math.exp((-e.deltaY * unit) / 300);
    const [cx, cy] = toData(px, py);
    setView(st, zoomView(currentView(st), Math.min(4, Math.max(0.25, factor)), cx, cy));
  }, { passive: false });
  fg.addEventListener("dblclick", () => resetView(st));
  plot.addEventListener("keydown", (e) => {
    if (!st.model) return;
    const v = currentView(st);
    const cx = (v[0][0] + v[0][1]) / 2;
    const cy = (v[1][0] + v[1][1]) / 2;
    const sx = (v[0][1] - v[0][0]) / 10;
    const sy = (v[1][1] - v[1][0]) / 10;
    const acts = {
      "+": () => setView(st, zoomView(v, 1.5, cx, cy)), "=": () => setView(st, zoomView(v, 1.5, cx, cy)),
      "-": () => setView(st, zoomView(v, 1 / 1.5, cx, cy)), 0: () => resetView(st),
      ArrowLeft: () => setView(st, panView(v, -sx, 0)), ArrowRight: () => setView(st, panView(v, sx, 0)),
      ArrowUp: () => setView(st, panView(v, 0, sy)), ArrowDown: () => setView(st, panView(v, 0, -sy)),
    };
    if (acts[e.key]) {
      e.preventDefault();
      acts[e.key]();
    }
  });
}

function showHint(st, text) {
  st.hint.textContent = text;
  st.hint.classList.add("on");
  clearTimeout(st.hintTimer);
  st.hintTimer = setTimeout(() => st.hint.classList.remove("on"), 1400);
}

// ------------------------------------------------------------------- drawing

function schedule(st) {
  if (!st.raf && !st.held) st.raf = requestAnimationFrame((ts) => frame(st, ts));
}

/** No frame until the timeouts queued so far have run (see commit); then a frame, unless
 * `then()` (if given) returns true: it has drawn one itself. */
function holdFrames(st, then = null) {
  if (st.raf) cancelAnimationFrame(st.raf);
  st.raf = 0;
  st.held = true;
  clearTimeout(st.holdTimer);
  st.holdTimer = setTimeout(() => {
    st.held = false;
    if (!(then && then())) schedule(st);
  }, 0);
}

function frame(st, ts) {
  st.raf = 0;
  if (!st.model) return;
  const t0 = performance.now();
  if (st.playing) {
    const dt = st.lastTs === null ? 0 : Math.min(100, ts - st.lastTs);
    st.lastTs = ts;
    const T = st.model.T;
    st.step = Math.min(T, st.step + (dt / 1000) * (T / RUN_SECONDS) * st.speedFactor);
    if (st.step >= T) {
      st.playing = false;
      settleStep(st);
    }
    syncPlayer(st);
  }
  if (st.checkTop) {
    st.checkTop = false;
    if (st.plotTop !== null && Math.abs(pageTop(st.plot) - st.plotTop) > 1) st.dirtyLayout = true;
  }
  if (st.dirtyLayout) layout(st);
  if (!st.rect) return;
  if (st.dirtyCorner && !st.sliderDrag && !st.gesture) placeOverlay(st);
  if (st.dirtyBg) drawBackground(st);
  const tf = performance.now();
  drawPaths(st);
  const tr = performance.now();
  updateReadout(st);
  drawFPlot(st);
  const t1 = performance.now();
  if (st.pendingInput !== null || st.playing) {
    // Kept for the tests and for anyone profiling: input → drawn, the whole frame, the
    // paths alone.
    const latency = st.pendingInput === null ? null : t1 - st.pendingInput;
    st.stats.push({ latency, draw: t1 - t0, fg: tr - tf, readout: t1 - tr, at: t0 });
    if (st.stats.length > 2000) st.stats.splice(0, 1000);
    st.pendingInput = null;
  }
  const load = st.loads[st.loads.length - 1];
  if (load && load.frame === null) load.frame = t1 - t0;
  if (st.playing) schedule(st);
}

function metrics(st) {
  // Lecture sizes are for a projector; on a phone-sized chart they would bury the plot.
  const L = (st.model?.lecture || st.root.classList.contains("full"))
    && !st.root.classList.contains("narrow");
  return {
    html: L ? 24 : 16, font: L ? 24 : 15, axisFont: L ? 28 : 18, tick: L ? 8 : 5,
    path: L ? 4.5 : 2.5, level: L ? 1.5 : 1, levelAlpha: L ? 0.65 : 0.5, ring: L ? 14 : 9, ringWidth: L ? 5 : 3.5,
    dot: L ? 4 : 2.6, square: L ? 18 : 12, star: L ? 17 : 11, arrow: L ? 5 : 3, gLength: L ? 90 : 60,
  };
}

function layout(st) {
  st.dirtyLayout = false;
  const { root } = st;
  // Narrow: the colour bar goes under the plot; otherwise it hugs the plot's right edge
  // and the canvas keeps room for it.
  const narrow = root.clientWidth < 560;
  root.classList.toggle("narrow", narrow);
  // Lecture mode and full screen: the sliders over the plot, unless they would hide too
  // much of it (a small window): then under it, as on the page.
  setOverlay(st, !narrow && (!!st.model?.lecture || root.classList.contains("full")));
  layoutPlot(st);
  if (st.overlay && !overlayFits(st)) {
    setOverlay(st, false);
    layoutPlot(st);
  }
  layoutFPlot(st);
  st.dirtyCorner = true;
}

/** Sizes the f plot: beside the plot (wide layouts), the height the readout leaves
 * there; under it, a strip. */
function layoutFPlot(st) {
  const { fplot, fCanvas, plot, readout } = st;
  const m = metrics(st);
  const beside = fplot.getBoundingClientRect().left >= plot.getBoundingClientRect().right - 1;
  const strip = Math.round(m.html * (st.root.classList.contains("narrow") ? 8 : 9));
  const h = beside
    ? Math.max(strip, Math.min(Math.round(m.html * 18), plot.offsetHeight - readout.offsetHeight - m.html * 3))
    : strip;
  const w = fCanvas.clientWidth;
  if (fCanvas.style.height !== `${h}px`) fCanvas.style.height = `${h}px`;
  const dpr = window.devicePixelRatio || 1;
  if (fCanvas.width !== Math.round(w * dpr) || fCanvas.height !== Math.round(h * dpr)) {
    fCanvas.width = Math.round(w * dpr);
    fCanvas.height = Math.round(h * dpr);
  }
  st.fSize = { w, h, dpr };
  st.fCache = null;
}

/** The share of the plot's data area the sliders' panel may cover at most. */
const OVERLAY_MAX_COVER = 0.25;

function setOverlay(st, on) {
  st.overlay = on;
  st.root.classList.toggle("overlay", on);
}

function overlayFits(st) {
  const r = st.rect;
  const pw = st.sliders.offsetWidth;
  const ph = st.sliders.offsetHeight;
  return !!r && pw < r.w && ph < r.h && pw * ph <= OVERLAY_MAX_COVER * r.w * r.h;
}

/** The top of `el` on the page scrolled to its start: its viewport top plus every
 * scroll offset above it (the window's, Streamlit's scrolling containers', across the
 * shadow root). */
function pageTop(el) {
  let top = el.getBoundingClientRect().top;
  for (let e = el.parentElement ?? el.getRootNode().host; e; e = e.parentElement ?? e.getRootNode().host) {
    top += e.scrollTop;
  }
  return top;
}

/** Sizes the plot and its canvases, and lays out the axes. */
function layoutPlot(st) {
  const { plot, bg, fg, root } = st;
  const narrow = root.classList.contains("narrow");
  const m = metrics(st);
  const w = plot.clientWidth;
  const cbReserve = narrow ? 0 : Math.ceil(m.html * 4.6);
  const view = currentView(st);
  const ctx = bg.getContext("2d");
  const yLabels = (ticks) => {
    ctx.font = `${m.font}px ${fontFamily(st)}`;
    return Math.max(0, ...ticks.map((t) => ctx.measureText(t.label).width));
  };
  ctx.font = `italic ${m.axisFont}px ${fontFamily(st)}`;
  const axisW = ctx.measureText(st.model?.axes[1] ?? "x₂").width;
  const top = Math.ceil(m.font * 0.7);
  const bottom = Math.ceil(m.tick + 4 + m.font * 1.2 + 4 + m.axisFont * 1.2);
  const right = Math.ceil(m.font * 1.2) + cbReserve;
  // The height follows the width, the window and the surface's aspect (fixed when a
  // surface is first shown), never a payload's data: no jump when a new blob arrives.
  const guessLeft = axisW + 10 + m.font * 3 + m.tick + 6;
  const full = root.classList.contains("full");
  const lecture = !!st.model?.lecture;
  let maxH;
  if (full) {
    // Full screen: the plot takes the height the title, legend and controls leave.
    const below = [st.head, st.player, ...(st.overlay ? [] : [st.sliders])]
      .reduce((sum, e) => sum + e.offsetHeight, 0) + m.html * 3;
    maxH = Math.max(300, window.innerHeight - below);
  } else if (lecture && !narrow) {
    // Lecture mode: the page down to the player fits the window (a projector shows no
    // more than that); the sliders are over the plot or below the player.
    st.plotTop = pageTop(plot);
    const gap = parseFloat(getComputedStyle(st.player.parentElement).rowGap) || 0;
    maxH = Math.max(300, window.innerHeight - st.plotTop - gap - st.player.offsetHeight - m.html * 0.5);
  } else {
    maxH = Math.max(300, window.innerHeight * (lecture ? 0.72 : 0.62));
  }
  const aspect = st.aspect >= 1 / 3 && st.aspect <= 3 ? st.aspect : 1.6;
  const h = Math.round(full ? maxH
    : Math.max(narrow ? 220 : 280, Math.min(maxH, (w - guessLeft - right) / aspect + top + bottom)));
  if (plot.style.height !== `${h}px`) plot.style.height = `${h}px`;
  const dpr = window.devicePixelRatio || 1;
  for (const c of [bg, fg]) {
    const cw = Math.round(w * dpr);
    const ch = Math.round(h * dpr);
    if (c.width !== cw || c.height !== ch) {
      c.width = cw;
      c.height = ch;
    }
  }
  st.size = { w, h, dpr };
  if (w <= 0) {
    st.rect = null;
    return;
  }
  // The y tick labels' width sets the left margin.
  const yTicksGuess = niceTicks(view[1][0], view[1][1], Math.max(2, Math.floor(h / (m.font * 3))));
  const left = Math.ceil(axisW + 10 + yLabels(yTicksGuess) + m.tick + 6);
  const box = { x: left, y: top, w: Math.max(10, w - left - right), h: Math.max(10, h - top - bottom) };
  st.rect = plotRect(view, box);
  const r = st.rect;
  st.ticks = {
    x: niceTicks(view[0][0], view[0][1], Math.max(2, Math.floor(r.w / (m.font * 5)))),
    y: niceTicks(view[1][0], view[1][1], Math.max(2, Math.floor(r.h / (m.font * 3)))),
  };
  st.yLabelW = yLabels(st.ticks.y);
  const cb = st.colorbar.style;
  cb.setProperty("--cb-top", `${r.y}px`);
  cb.setProperty("--cb-height", `${r.h}px`);
  cb.setProperty("--cb-left", `${r.x + r.w + m.font * 0.8}px`);
  cb.setProperty("--cb-width", `${r.w}px`);
  cb.setProperty("--cb-indent", `${r.x}px`);
  st.dirtyBg = true;
}

/** Puts the sliders' panel in the corner of the plot where it hides the least of the
 * paths (see overlayCorner): after a layout, a new blob or a legend click, never while a
 * slider or the plot is held. */
function placeOverlay(st) {
  st.dirtyCorner = false;
  const { sliders, rect: r, model } = st;
  if (!st.overlay || !r || !model) return;
  const m = metrics(st);
  const pw = sliders.offsetWidth;
  const ph = sliders.offsetHeight;
  const inset = Math.round(m.html * 0.4);
  const clamp = (v, size, room) => Math.max(0, Math.min(room - size, v));
  const left = clamp(r.x + inset, pw, st.size.w);
  const right = clamp(r.x + r.w - inset - pw, pw, st.size.w);
  const top = clamp(r.y + inset, ph, st.size.h);
  const bottom = clamp(r.y + r.h - inset - ph, ph, st.size.h);
  const rects = {
    "top-right": { x: right, y: top, w: pw, h: ph }, "top-left": { x: left, y: top, w: pw, h: ph },
    "bottom-right": { x: right, y: bottom, w: pw, h: ph }, "bottom-left": { x: left, y: bottom, w: pw, h: ph },
  };
  const tf = transform(st);
  const points = [];
  const avoid = []; // the starts, the ends, the minima
  // The outline of a marker, not just its centre: no corner may cut into it.
  const around = (x, y, size) => {
    for (const [dx, dy] of [[0, 0], [-1, -1], [1, -1], [-1, 1], [1, 1]]) avoid.push([x + (dx * size) / 2, y + (dy * size) / 2]);
  };
  const spacing = m.html; // px between samples along a long step: it hides path too
  for (const run of model.runs) {
    if (st.hidden.has(run.label)) continue;
    const p = run.points;
    let px = null;
    let py = null;
    for (let k = 0; k < p.length; k += 2) {
      const x = tf.ax + tf.kx * p[k];
      const y = tf.ay + tf.ky * p[k + 1];
      if (!Number.isFinite(x) || !Number.isFinite(y)) break; // a diverged run's end
      if (k === 0) around(x, y, m.square);
      if (px !== null) {
        const n = Math.min(64, Math.floor(Math.hypot(x - px, y - py) / spacing));
        for (let i = 1; i < n; i++) points.push([px + ((x - px) * i) / n, py + ((y - py) * i) / n]);
      }
      points.push([x, y]);
      px = x;
      py = y;
    }
    if (px !== null) around(px, py, m.ring * 2); // the run's end: its ring and arrows
  }
  for (const [x, y] of model.minima) around(tf.ax + tf.kx * x, tf.ay + tf.ky * y, m.star * 2);
  st.corner = overlayCorner(rects, points, { avoid, current: st.corner });
  const at = rects[st.corner];
  sliders.style.left = `${Math.round(at.x)}px`;
  sliders.style.top = `${Math.round(at.y)}px`;
  sliders.dataset.corner = st.corner;
}

/** f against the steps: the lines drawn once per set of runs (a cached canvas), then
 * each frame that cache and a marker at the current step. */
function drawFPlot(st) {
  const { fCanvas, model, fSize } = st;
  if (!fSize || fSize.w <= 0 || !model) return;
  const k = Math.floor(st.step);
  if (st.fCache && st.fDrawnStep === k) return;
  if (!st.fCache) st.fCache = renderFLines(st);
  const ctx = fCanvas.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, fCanvas.width, fCanvas.height);
  ctx.drawImage(st.fCache.canvas, 0, 0);
  const f = st.fCache.frame;
  if (f && model.T > 0) {
    ctx.setTransform(fSize.dpr, 0, 0, fSize.dpr, 0, 0);
    const x = Math.round(f.x + (k / model.T) * f.w) + 0.5;
    ctx.strokeStyle = getComputedStyle(st.root).color || "#222";
    ctx.lineWidth = 1.5;
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.moveTo(x, f.y);
    ctx.lineTo(x, f.y + f.h);
    ctx.stroke();
    ctx.setLineDash([]);
  }
  st.fDrawnStep = k;
}

function renderFLines(st) {
  const { model, fSize } = st;
  const m = metrics(st);
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(fSize.w * fSize.dpr);
  canvas.height = Math.round(fSize.h * fSize.dpr);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(fSize.dpr, 0, 0, fSize.dpr, 0, 0);
  const shown = model.runs.filter((r) => !st.hidden.has(r.label) && r.values);
  const axis = fAxis(shown.map((r) => r.values));
  if (!axis || model.T <= 0) return { canvas, frame: null };
  const font = Math.round(m.font * 0.8);
  ctx.font = `${font}px ${fontFamily(st)}`;
  const ink = getComputedStyle(st.root).color || "#222";
  const yTicks = axis.log ? decadeTicks(axis.lo, axis.hi, Math.max(2, Math.floor(fSize.h / (font * 2.5))))
    : niceTicks(axis.lo, axis.hi, Math.max(2, Math.floor(fSize.h / (font * 2.5))));
  const left = Math.ceil(Math.max(0, ...yTicks.map((t) => ctx.measureText(t.label).width)) + 10);
  const frame = { x: left, y: Math.ceil(font * 0.6), w: Math.max(10, fSize.w - left - font), h: 0 };
  frame.h = Math.max(10, fSize.h - frame.y - font * 1.8);
  const sy = axis.log ? logScale(axis.lo, axis.hi, frame.y + frame.h, frame.y)
    : linearScale(axis.lo, axis.hi, frame.y + frame.h, frame.y);
  const sx = linearScale(0, model.T, frame.x, frame.x + frame.w);
  ctx.strokeStyle = ink;
  ctx.fillStyle = ink;
  ctx.globalAlpha = 0.6;
  ctx.lineWidth = 1;
  ctx.strokeRect(frame.x + 0.5, frame.y + 0.5, frame.w - 1, frame.h - 1);
  ctx.globalAlpha = 1;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const t of yTicks) ctx.fillText(t.label, frame.x - 4, sy(t.value));
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const t of niceTicks(0, model.T, Math.max(2, Math.floor(frame.w / (font * 5))))) {
    if (Number.isInteger(t.value)) ctx.fillText(t.label, sx(t.value), frame.y + frame.h + 3);
  }
  ctx.save();
  ctx.beginPath();
  ctx.rect(frame.x, frame.y, frame.w, frame.h);
  ctx.clip();
  ctx.lineJoin = "round";
  for (const run of shown) {
    const style = runStyle(run, m);
    ctx.strokeStyle = style.color;
    ctx.lineWidth = m.path * 0.6; // one width for all: no run lies on another here
    ctx.setLineDash(run.dashed ? [6, 4] : []);
    ctx.beginPath();
    let pen = false;
    const values = run.values;
    // About two points a pixel: 5,000 steps on a 500 px plot need no more (the cache is
    // drawn again with every new blob, so its cost adds to a commit's).
    const stride = Math.max(1, Math.floor(values.length / (2 * frame.w)));
    const last = values.length - 1;
    for (let k = 0; k <= last; k = k === last ? last + 1 : Math.min(k + stride, last)) {
      const v = values[k];
      if (!Number.isFinite(v) || (axis.log && v <= 0)) {
        pen = false;
        continue;
      }
      const x = sx(k);
      const y = sy(v);
      if (pen) ctx.lineTo(x, y);
      else ctx.moveTo(x, y);
      pen = true;
    }
    ctx.stroke();
  }
  ctx.restore();
  return { canvas, frame };
}

/** The pointer over the f plot moves the chart's step (and pauses it). */
function wireFPlot(st) {
  st.fCanvas.addEventListener("pointermove", (e) => {
    const f = st.fCache?.frame;
    if (!st.model || !f) return;
    const box = st.fCanvas.getBoundingClientRect();
    const k = stepAtX(e.clientX - box.left, f.x, f.w, st.model.T);
    if (k === Math.floor(st.step) && !st.playing) return;
    st.playing = false;
    st.step = k;
    syncPlayer(st);
    schedule(st);
    settleStep(st);
  });
}

function fontFamily(st) {
  if (!st.font) st.font = getComputedStyle(st.root).fontFamily || "sans-serif";
  return st.font;
}

function toPixel(st, x, y) {
  const [[x0, x1], [y0, y1]] = currentView(st);
  const r = st.rect;
  return [r.x + ((x - x0) / (x1 - x0)) * r.w, r.y + ((y1 - y) / (y1 - y0)) * r.h];
}

/** The affine data → pixel map as numbers (fast inner loops). */
function transform(st) {
  const [[x0, x1], [y0, y1]] = currentView(st);
  const r = st.rect;
  const kx = r.w / (x1 - x0);
  const ky = r.h / (y1 - y0);
  return { ax: r.x - x0 * kx, kx, ay: r.y + y1 * ky, ky: -ky };
}

function drawBackground(st) {
  st.dirtyBg = false;
  const { bg, model, rect: r, size } = st;
  const m = metrics(st);
  const ctx = bg.getContext("2d");
  ctx.setTransform(size.dpr, 0, 0, size.dpr, 0, 0);
  ctx.clearRect(0, 0, size.w, size.h);
  const ink = getComputedStyle(st.root).color || "#222";
  const font = fontFamily(st);

  ctx.save();
  ctx.beginPath();
  ctx.rect(r.x, r.y, r.w, r.h);
  ctx.clip();
  ctx.fillStyle = "#fff";
  ctx.fillRect(r.x, r.y, r.w, r.h);
  const ext = model.contours.extent;
  if (st.image && ext) {
    const [a, b] = toPixel(st, ext[0], ext[3]);
    const [c, d] = toPixel(st, ext[1], ext[2]);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(st.image, a, b, c - a, d - b);
  }
  // While the exercise asks, the basins and the ensembles would give the answer away.
  if (model.basins && !asking(st)) drawBasins(st, ctx);
  const lines = model.contours.lines;
  if (lines && lines.length) {
    const { ax, kx, ay, ky } = transform(st);
    ctx.beginPath();
    for (let i = 0; i < lines.length; i += 4) {
      ctx.moveTo(ax + kx * lines[i], ay + ky * lines[i + 1]);
      ctx.lineTo(ax + kx * lines[i + 2], ay + ky * lines[i + 3]);
    }
    // Darker than the plotly figure's 35 % grey: projectors wash thin lines out (the
    // more so in lecture mode; the paths' white casing keeps them apart from the lines).
    ctx.strokeStyle = `rgba(45, 58, 75, ${m.levelAlpha})`;
    ctx.lineWidth = m.level;
    ctx.stroke();
  }
  if (!asking(st)) drawEnsembles(st, ctx, m);
  ctx.restore();

  // Frame, ticks, labels.
  ctx.strokeStyle = ink;
  ctx.fillStyle = ink;
  ctx.lineWidth = 1;
  ctx.globalAlpha = 0.75;
  ctx.strokeRect(Math.round(r.x) + 0.5, Math.round(r.y) + 0.5, Math.round(r.w) - 1, Math.round(r.h) - 1);
  ctx.globalAlpha = 1;
  ctx.font = `${m.font}px ${font}`;
  ctx.beginPath();
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const t of st.ticks.x) {
    const [px] = toPixel(st, t.value, 0);
    const x = Math.round(px) + 0.5;
    ctx.moveTo(x, r.y + r.h);
    ctx.lineTo(x, r.y + r.h + m.tick);
    ctx.fillText(t.label, px, r.y + r.h + m.tick + 4);
  }
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const t of st.ticks.y) {
    const [, py] = toPixel(st, 0, t.value);
    const y = Math.round(py) + 0.5;
    ctx.moveTo(r.x, y);
    ctx.lineTo(r.x - m.tick, y);
    ctx.fillText(t.label, r.x - m.tick - 4, py);
  }
  ctx.stroke();
  ctx.font = `italic ${m.axisFont}px ${font}`;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const [xName, yName] = st.model.axes;
  ctx.fillText(xName, r.x + r.w / 2, r.y + r.h + m.tick + 4 + m.font * 1.2 + 2);
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  ctx.fillText(yName, Math.max(ctx.measureText(yName).width + 2, r.x - m.tick - 10 - st.yLabelW), r.y + r.h / 2);
}

/** Each run's ensemble (the same run under other draws of the gradient noise) as faint
 * whole paths in its colour, under every run: the spread the bold path sits in. */
function drawEnsembles(st, ctx, m) {
  const { ax, kx, ay, ky } = transform(st);
  ctx.save();
  ctx.globalAlpha = 0.35;
  ctx.lineWidth = Math.max(1, m.path * 0.4);
  ctx.lineJoin = "round";
  for (const run of st.model.runs) {
    const e = run.ensemble;
    if (!e || st.hidden.has(run.label)) continue;
    ctx.strokeStyle = run.color;
    ctx.beginPath();
    for (let k = 0; k < e.K; k++) {
      let pen = false;
      for (let j = 0; j < e.P; j++) {
        const x = e.points[(k * e.P + j) * 2];
        const y = e.points[(k * e.P + j) * 2 + 1];
        if (!Number.isFinite(x) || !Number.isFinite(y)) break; // a member that diverged
        if (pen) ctx.lineTo(ax + kx * x, ay + ky * y);
        else ctx.moveTo(ax + kx * x, ay + ky * y);
        pen = true;
      }
    }
    ctx.stroke();
  }
  ctx.restore();
}

/** Each start of the basins' lattice as a cell in the colour of the minimum its run
 * reached, over the contours' fill and under their lines; the minima as dots. */
function drawBasins(st, ctx) {
  const { x1, x2, labels, minima } = st.model.basins;
  const n1 = x1.length;
  const n2 = x2.length;
  if (st.basinKey !== labels) {
    const img = document.createElement("canvas");
    img.width = n1;
    img.height = n2;
    const g = img.getContext("2d");
    for (let j = 0; j < n2; j++) {
      for (let i = 0; i < n1; i++) {
        const color = basinColor(labels[j * n1 + i]);
        if (!color) continue;
        g.fillStyle = color;
        g.fillRect(i, n2 - 1 - j, 1, 1); // row 0 of the image is the top: the largest x2
      }
    }
    st.basinKey = labels;
    st.basinImage = img;
  }
  // Each cell is centred on its start: the image reaches half a cell past the lattice.
  const h1 = (x1[n1 - 1] - x1[0]) / (n1 - 1) / 2;
  const h2 = (x2[n2 - 1] - x2[0]) / (n2 - 1) / 2;
  const [a, b] = toPixel(st, x1[0] - h1, x2[n2 - 1] + h2);
  const [c, d] = toPixel(st, x1[n1 - 1] + h1, x2[0] - h2);
  ctx.save();
  ctx.globalAlpha = 0.75;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(st.basinImage, a, b, c - a, d - b);
  ctx.restore();
  const r = metrics(st).dot * 1.6;
  ctx.save();
  ctx.fillStyle = "#333";
  for (const [mx, my] of minima) {
    const [px, py] = toPixel(st, mx, my);
    ctx.beginPath();
    ctx.arc(px, py, r, 0, 2 * Math.PI);
    ctx.fill();
  }
  ctx.restore();
}

/** Saves `ctx` and clips it to the plot rectangle `r`, in CSS pixels, round joins:
 * the set-up every path layer draws with (restore when done). */
function clipToPlot(ctx, size, r) {
  ctx.setTransform(size.dpr, 0, 0, size.dpr, 0, 0);
  ctx.save();
  ctx.beginPath();
  ctx.rect(r.x, r.y, r.w, r.h);
  ctx.clip();
  ctx.lineJoin = "round";
  ctx.lineCap = "round";
}

/** The foreground canvas cleared and clipped to the plot: its context and the metrics. */
function clearedForeground(st) {
  const { fg, rect: r, size } = st;
  const ctx = fg.getContext("2d");
  ctx.setTransform(size.dpr, 0, 0, size.dpr, 0, 0);
  ctx.clearRect(0, 0, size.w, size.h);
  clipToPlot(ctx, size, r);
  return { ctx, m: metrics(st) };
}

function drawForeground(st) {
  const { model, rect: r, size } = st;
  const { ctx, m } = clearedForeground(st);
  GUARD = 2 * Math.max(size.w, size.h, 500);
  const tf = transform(st);
  const t = st.step;
  const preview = st.preview;
  const focus = model.focus;

  if (preview && focus !== null) {
    // A preview replaces the focused run's path on every input: the others come from
    // the trail (drawn without it), the focused one is drawn afresh each frame.
    drawTrail(st, ctx, tf, m, focus);
    const run = model.runs[focus];
    if (!st.hidden.has(run.label)) {
      const style = runStyle(run, m);
      const alt = previewPath(model, preview, t);
      if (alt) {
        // The committed path stays, faint, for comparison with the preview.
        strokePath(ctx, tf, pathUpTo(run.points, t), { ...style, width: m.path * 0.7, alpha: 0.3, casing: false },
          pointBetween(run.points, t));
        strokePath(ctx, tf, alt.points.subarray(0, 2 * alt.count), style);
      } else {
        strokePath(ctx, tf, pathUpTo(run.points, t), style, pointBetween(run.points, t));
      }
    }
  } else {
    drawTrail(st, ctx, tf, m);
  }

  // Starts: one square per distinct start (usually all runs share one).
  const seen = new Set();
  model.runs.forEach((run, i) => {
    if (st.hidden.has(run.label) || run.points.length < 2) return;
    let x = run.points[0];
    let y = run.points[1];
    if (i === focus && preview?.kind === "start") [x, y] = [preview.x, preview.y];
    const k = `${x},${y}`;
    if (seen.has(k) || !Number.isFinite(x)) return;
    seen.add(k);
    square(ctx, tf.ax + tf.kx * x, tf.ay + tf.ky * y, m.square, i === focus);
  });

  // Current positions: open rings, so a minimum under one stays visible.
  model.runs.forEach((run, i) => {
    if (st.hidden.has(run.label)) return;
    let p;
    if (preview && i === focus) {
      const alt = previewPath(model, preview, t);
      if (alt) p = pointAt(alt.points, alt.count - 1);
    }
    if (!p) p = pointBetween(run.points, t);
    if (!p) return;
    // A run drawn over another (narrower) gets a smaller marker, inside the other's.
    const radius = m.ring * (0.55 + 0.45 * Math.min(run.width, 1.5));
    ring(ctx, tf.ax + tf.kx * p[0], tf.ay + tf.ky * p[1], radius, runStyle(run, m).color, m.ringWidth, 1, run.marker);
  });

  for (const [x, y] of model.minima) star(ctx, tf.ax + tf.kx * x, tf.ay + tf.ky * y, m.star);

  if (!preview && focus !== null && !st.hidden.has(model.runs[focus].label)) arrows(st, ctx, tf, m);
  ctx.restore();
}

/** The preview's path for the focused run at step t: {points, count} from the family
 * nearest the slider value (or the lattice start nearest the drop point), up to the
 * last kept step ≤ t. null without a family. */
function previewPath(model, preview, t) {
  const step = Math.floor(t);
  if (preview.kind === "start") {
    const fam = model.families.start;
    if (!fam) return null;
    const { i, j } = nearestStart(fam.x1, fam.x2, preview.x, preview.y);
    const k = familyStepIndex(fam.steps, step);
    if (i < 0 || j < 0 || k < 0) return null;
    const off = (j * fam.x1.length + i) * fam.P * 2;
    return { points: fam.points.subarray(off, off + fam.P * 2), count: k + 1 };
  }
  const slider = model.sliders.find((s) => s.param === preview.param);
  const fam = slider && model.families[slider.family ?? slider.param];
  if (!fam || !fam.values) return null;
  const idx = nearestIndex(fam.values, preview.value, slider.scale === "log");
  const k = familyStepIndex(fam.steps, step);
  if (idx < 0 || k < 0) return null;
  const off = idx * fam.P * 2;
  return { points: fam.points.subarray(off, off + fam.P * 2), count: k + 1, value: fam.values[idx] };
}

/** How a run's path is drawn. Reference (dashed) runs are faded by mixing their colour
 * with white, not by transparency: opaque strokes can be drawn piecewise (the trail)
 * without darker overlaps where the pieces meet. A run lying along earlier ones (its
 * "layer" above 0) is drawn narrower ("width") over them and without the white casing,
 * which would wipe them out: each run under it shows as a rim on either side. */
function runStyle(run, m) {
  return {
    color: run.dashed ? fade(run.color, 0.35) : run.color, width: m.path * run.width, dashed: run.dashed, alpha: 1,
    casing: !run.dashed && !run.layer,
  };
}

/** `color` ("#rgb" or "#rrggbb") mixed with white by `f`; other colour forms unchanged. */
function fade(color, f) {
  let hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color)?.[1];
  if (!hex) return color;
  if (hex.length === 3) hex = [...hex].map((c) => c + c).join("");
  const mix = (i) => Math.round(parseInt(hex.slice(i, i + 2), 16) * (1 - f) + 255 * f);
  return `rgb(${mix(0)}, ${mix(2)}, ${mix(4)})`;
}

/** One run's path as a polyline: NaN breaks it; points closer than ~0.7 px to the last
 * drawn one are skipped (5,000 steps cost a few hundred segments once converged); `end`
 * appends the animation's in-between point. A white casing first separates a solid path
 * from the level lines on a projector.
 *
 * Dashes cost in proportion to a path's length, and a run oscillating for thousands of
 * steps is tens of thousands of pixels long: past DASH_BUDGET px a dashed path goes on
 * solid, where its dashes would be a blur anyway. `carry.length` (px so far) carries the
 * dash pattern and that budget across pieces of one path. */
function strokePath(ctx, tf, pts, style, end = null, carry = { length: 0 }) {
  const { ax, kx, ay, ky } = tf;
  const solid = new Path2D();
  const dash = style.dashed && carry.length <= DASH_BUDGET ? new Path2D() : null;
  const startLength = carry.length;
  let path = dash || solid;
  let pen = false;
  let lx = 0;
  let ly = 0;
  const n = pts.length >> 1;
  const segment = (px, py) => {
    if (style.dashed) {
      carry.length += Math.abs(px - lx) + Math.abs(py - ly);
      if (path === dash && carry.length > DASH_BUDGET) {
        path = solid;
        moveTo(path, lx, ly);
      }
    }
    lineTo(path, lx, ly, px, py);
  };
  for (let k = 0; k < n; k++) {
    const x = pts[2 * k];
    const y = pts[2 * k + 1];
    if (!(Number.isFinite(x) && Number.isFinite(y))) {
      pen = false;
      continue;
    }
    const px = ax + kx * x;
    const py = ay + ky * y;
    if (!pen) {
      moveTo(path, px, py);
      pen = true;
    } else if (k === n - 1 || Math.abs(px - lx) > 0.7 || Math.abs(py - ly) > 0.7) {
      segment(px, py);
    } else continue;
    lx = px;
    ly = py;
  }
  if (end && pen) segment(ax + kx * end[0], ay + ky * end[1]);
  if (style.casing) {
    ctx.globalAlpha = 0.8 * style.alpha;
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = style.width + 3;
    ctx.stroke(solid);
  }
  if (style.line === false) {
    ctx.globalAlpha = 1;
    return;
  }
  ctx.globalAlpha = style.alpha;
  ctx.strokeStyle = style.color;
  ctx.lineWidth = style.width;
  if (dash) {
    ctx.setLineDash([style.width * 3, style.width * 2.2]);
    ctx.lineDashOffset = startLength;
    ctx.stroke(dash);
    ctx.setLineDash([]);
    ctx.lineDashOffset = 0;
  }
  ctx.stroke(solid);
  ctx.globalAlpha = 1;
}

/** The paths, drawn through the trail: offscreen canvases ("layers") holding every path
 * up to the step each was last drawn at. While the step grows (playing), only the new
 * steps are drawn onto them; a frame then costs a copy per layer plus a few segments,
 * whatever the runs' length (10 runs × 5,000 steps redrawn whole cost 10–20 ms in
 * software raster). The runs are split at the focused one into those before it, it, and
 * those after it (the drawing order kept), so that a preview, which replaces the focused
 * run, and a new blob that changes only that run redraw none of the others. A layer is
 * redrawn whole when its runs (by id, see update), the view, the size, the line width or
 * the hidden runs change, or the step goes back. `skip`: the focused run, left out. */
function drawTrail(st, ctx, tf, m, skip = -1) {
  const { model } = st;
  const n = model.runs.length;
  const f = model.focus;
  const k = Math.floor(st.step);
  const ranges = f === null ? [[0, n]] : [[0, f], [f, f + 1], [f + 1, n]];
  ranges.forEach(([a, b], li) => {
    if (!(a === skip && b === skip + 1)) drawLayer(st, ctx, tf, m, li, a, b, k);
  });
  // A dot a step on short runs (step sizes at a glance), drawn every frame: a later
  // piece's casing would wipe them off the trail.
  model.runs.forEach((run, i) => {
    if (i !== skip && !st.hidden.has(run.label) && run.steps <= MARKER_STEPS) {
      dots(ctx, tf, pathUpTo(run.points, k), runStyle(run, m).color, m.dot * Math.min(run.width, 1.5));
    }
  });
  // The animation's in-between bit, from step k towards k + 1.
  if (st.step > k) {
    model.runs.forEach((run, i) => {
      if (i === skip || st.hidden.has(run.label)) return;
      const end = pointBetween(run.points, st.step);
      if (!end || end[2] !== k) return;
      const style = runStyle(run, m);
      if (style.casing) appendCased(ctx, tf, run.points, k, k, style, end);
      else strokePath(ctx, tf, run.points.subarray(2 * k, 2 * (k + 1)), style, end, { length: st.trailCarry[i]?.length ?? 0 });
    });
  }
}

/** Layer `li` of the trail, runs a..b − 1, brought to step k and copied onto `ctx`. */
function drawLayer(st, ctx, tf, m, li, a, b, k) {
  const { model, size, rect: r } = st;
  const shown = [];
  for (let i = a; i < b; i++) if (!st.hidden.has(model.runs[i].label)) shown.push(i);
  if (!shown.length) return;
  const layer = st.layers[li] || (st.layers[li] = { canvas: document.createElement("canvas"), key: "", step: 0 });
  const { canvas } = layer;
  const key = [a, b, ...shown.map((i) => st.runIds[i]), tf.ax, tf.kx, tf.ay, tf.ky, r.x, r.y, r.w, r.h,
    size.w, size.h, size.dpr, m.path].join("|");
  const lctx = canvas.getContext("2d");
  const whole = layer.key !== key || k < layer.step;
  if (whole || k > layer.step) {
    if (whole) {
      if (canvas.width !== st.fg.width || canvas.height !== st.fg.height) {
        canvas.width = st.fg.width;
        canvas.height = st.fg.height;
      }
      lctx.setTransform(1, 0, 0, 1, 0, 0);
      lctx.clearRect(0, 0, canvas.width, canvas.height);
      for (const i of shown) st.trailCarry[i] = { length: 0 };
      layer.key = key;
      st.redrawn += shown.length;
    }
    clipToPlot(lctx, size, r);
    const from = whole ? 0 : layer.step;
    for (const i of shown) {
      const run = model.runs[i];
      const n = run.points.length >> 1;
      const p = Math.min(from, n - 1);
      const q = Math.min(k, n - 1);
      if (!whole && q <= p) continue;
      const style = runStyle(run, m);
      if (whole || !style.casing) {
        strokePath(lctx, tf, run.points.subarray(2 * p, 2 * (q + 1)), style, null, st.trailCarry[i]);
      } else {
        appendCased(lctx, tf, run.points, p, q, style, null);
      }
    }
    lctx.restore();
    layer.step = k;
  }
  ctx.save();
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.drawImage(canvas, 0, 0);
  ctx.restore();
}

/** Draws steps a..b (and `end`) of a cased path on top of its own earlier steps: the
 * new casing's round cap would cut a white notch into the line just behind step a, so
 * the line is redrawn from a few pixels further back, over the notch. */
function appendCased(ctx, tf, points, a, b, style, end) {
  strokePath(ctx, tf, points.subarray(2 * a, 2 * (b + 1)), { ...style, line: false }, end);
  const back = style.width + 4; // px of path to redraw: more than the casing's cap
  let j = a;
  let px = tf.ax + tf.kx * points[2 * a];
  let py = tf.ay + tf.ky * points[2 * a + 1];
  let run = 0;
  while (j > 0 && j > a - 64 && run < back) {
    const qx = tf.ax + tf.kx * points[2 * (j - 1)];
    const qy = tf.ay + tf.ky * points[2 * j - 1];
    if (!(Number.isFinite(qx) && Number.isFinite(qy))) break;
    run += Math.hypot(qx - px, qy - py);
    px = qx;
    py = qy;
    j--;
  }
  strokePath(ctx, tf, points.subarray(2 * j, 2 * (b + 1)), { ...style, casing: false }, end);
}

function moveTo(ctx, px, py) {
  ctx.moveTo(Math.max(-GUARD, Math.min(GUARD, px)), Math.max(-GUARD, Math.min(GUARD, py)));
}

/** A segment; one reaching beyond the guard box (a diverging run) is clipped to it
 * first, so its visible part keeps its direction. */
function lineTo(ctx, x0, y0, x1, y1) {
  if (Math.abs(x1) <= GUARD && Math.abs(y1) <= GUARD && Math.abs(x0) <= GUARD && Math.abs(y0) <= GUARD) {
    ctx.lineTo(x1, y1);
    return;
  }
  let t0 = 0;
  let t1 = 1;
  const dx = x1 - x0;
  const dy = y1 - y0;
  for (const [p, q] of [[-dx, x0 + GUARD], [dx, GUARD - x0], [-dy, y0 + GUARD], [dy, GUARD - y0]]) {
    if (p === 0) {
      if (q < 0) return;
    } else {
      const r = q / p;
      if (p < 0) t0 = Math.max(t0, r);
      else t1 = Math.min(t1, r);
    }
  }
  if (t0 > t1) return;
  ctx.moveTo(x0 + t0 * dx, y0 + t0 * dy);
  ctx.lineTo(x0 + t1 * dx, y0 + t1 * dy);
}

function dots(ctx, tf, pts, color, radius) {
  ctx.fillStyle = color;
  ctx.beginPath();
  for (let k = 0; k < pts.length; k += 2) {
    const x = pts[k];
    const y = pts[k + 1];
    if (!(Number.isFinite(x) && Number.isFinite(y))) continue;
    const px = tf.ax + tf.kx * x;
    const py = tf.ay + tf.ky * y;
    if (Math.abs(px) > GUARD || Math.abs(py) > GUARD) continue;
    ctx.moveTo(px + radius, py);
    ctx.arc(px, py, radius, 0, 2 * Math.PI);
  }
  ctx.fill();
}

function square(ctx, x, y, size, focus) {
  const h = size / 2;
  ctx.fillStyle = "#333";
  ctx.strokeStyle = "#fff";
  ctx.lineWidth = 2;
  ctx.fillRect(x - h, y - h, size, size);
  ctx.strokeRect(x - h, y - h, size, size);
  if (focus) {
    // The draggable start: a faint halo says "grab me".
    ctx.strokeStyle = "rgba(51, 51, 51, 0.35)";
    ctx.lineWidth = 2;
    ctx.strokeRect(x - h - 4, y - h - 4, size + 8, size + 8);
  }
}

function ring(ctx, x, y, radius, color, width, alpha, shape = "circle") {
  ctx.globalAlpha = alpha;
  ctx.beginPath();
  const pts = markerPoints(shape, radius);
  if (pts) {
    for (const [dx, dy] of pts) ctx.lineTo(x + dx, y + dy);
    ctx.closePath();
  } else ctx.arc(x, y, radius, 0, 2 * Math.PI);
  ctx.strokeStyle = "#fff";
  ctx.lineWidth = width + 3;
  ctx.stroke();
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.stroke();
  ctx.globalAlpha = 1;
}

function star(ctx, x, y, r) {
  ctx.beginPath();
  for (let k = 0; k < 10; k++) {
    const a = -Math.PI / 2 + (k * Math.PI) / 5;
    const rr = k % 2 ? r * 0.45 : r;
    ctx.lineTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
  }
  ctx.closePath();
  ctx.fillStyle = "#FFD21F";
  ctx.strokeStyle = "#333";
  ctx.lineWidth = 1.5;
  ctx.fill();
  ctx.stroke();
}

/** At step k (the readout's row): from x_{k−1}, where g_k was evaluated, an arrow along
 * −g_k (a fixed length: its direction is the point) and the step Δx_k itself, whose tip
 * is the current point x_k. Their disagreement is what momentum and scaling do. */
function arrows(st, ctx, tf, m) {
  const run = st.model.runs[st.model.focus];
  if (run.pending) return; // its g and Δx are Python's to send
  const k = Math.floor(st.step);
  if (k < 1 || k > run.steps) return;
  const tail = [run.points[2 * (k - 1)], run.points[2 * k - 1]];
  if (!tail.every(Number.isFinite)) return;
  const px = tf.ax + tf.kx * tail[0];
  const py = tf.ay + tf.ky * tail[1];
  const get = (key) => run.series.find((s) => s.key === key);
  const g = get("g");
  const delta = get("delta");
  if (g) {
    const [gx, gy] = seriesRow(g.data, k);
    const dx = -gx * tf.kx;
    const dy = -gy * tf.ky;
    const len = Math.hypot(dx, dy);
    const L = Math.max(28, Math.min(m.gLength, 0.14 * Math.min(st.rect.w, st.rect.h)));
    if (len > 0 && Number.isFinite(len)) {
      arrow(ctx, px, py, px + (dx / len) * L, py + (dy / len) * L, "#111", m.arrow, "−g", m.font);
    }
  }
  if (delta) {
    const [dx, dy] = seriesRow(delta.data, k);
    const qx = px + dx * tf.kx;
    const qy = py + dy * tf.ky;
    if (Number.isFinite(qx) && Number.isFinite(qy) && Math.hypot(qx - px, qy - py) >= 2) {
      arrow(ctx, px, py, qx, qy, run.color, m.arrow + 0.5, "Δx", m.font);
    }
  }
}

function arrow(ctx, x0, y0, x1, y1, color, width, label, font) {
  const len = Math.hypot(x1 - x0, y1 - y0);
  const ux = (x1 - x0) / len;
  const uy = (y1 - y0) / len;
  const head = Math.min(len * 0.45, width * 4 + 4);
  const bx = x1 - ux * head;
  const by = y1 - uy * head;
  const wing = head * 0.55;
  const draw = (stroke, w) => {
    ctx.strokeStyle = stroke;
    ctx.fillStyle = stroke;
    ctx.lineWidth = w;
    ctx.beginPath();
    ctx.moveTo(x0, y0);
    ctx.lineTo(bx, by);
    ctx.stroke();
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    ctx.lineTo(bx - uy * wing, by + ux * wing);
    ctx.lineTo(bx + uy * wing, by - ux * wing);
    ctx.closePath();
    ctx.fill();
    if (stroke === "#fff") ctx.stroke();
  };
  ctx.lineCap = "butt";
  draw("#fff", width + 3);
  draw(color, width);
  ctx.lineCap = "round";
  ctx.font = `bold ${font}px sans-serif`;
  ctx.textAlign = ux >= 0 ? "left" : "right";
  ctx.textBaseline = uy >= 0 ? "top" : "bottom";
  const lx = x1 + ux * 4;
  const ly = y1 + uy * 4;
  ctx.lineWidth = 4;
  ctx.strokeStyle = "rgba(255,255,255,0.9)";
  ctx.strokeText(label, lx, ly);
  ctx.fillStyle = color;
  ctx.fillText(label, lx, ly);
}

// ------------------------------------------------------------------- readout

function setHead(st, text) {
  st.readHead.textContent = text;
  st.readHead.title = text; // the whole text where the line is cut short
}

function updateReadout(st) {
  const { model, preview } = st;
  const run = model.focus !== null ? model.runs[model.focus] : null;
  const k = Math.min(run ? run.steps : 0, Math.floor(st.step));
  const key = `${k}|${preview ? JSON.stringify(preview) : ""}|${model.focus}|${st.pending}`;
  if (key === st.readoutKey) return; // DOM writes only when the step or preview changes
  st.readoutKey = key;
  st.readout.hidden = !run;
  if (!run) return;
  // The rows (x, then the run's series) are built when the run's series change, then
  // only their texts are rewritten: playing 5,000 steps rewrites them every frame.
  const shape = run.series.map((s) => `${s.key}:${s.label}`).join("|");
  if (st.readoutShape !== shape || !st.readoutCells) {
    st.readoutShape = shape;
    st.readoutCells = [];
    const rows = ["x", ...run.series.map((s) => s.label)].map((label) => {
      const cells = [el("td"), el("td")];
      st.readoutCells.push(cells);
      return el("tr", {}, el("th", { scope: "row", text: label }), ...cells);
    });
    st.readBody.replaceChildren(...rows);
  }
  const write = (row, ta, tb) => {
    const [ca, cb] = st.readoutCells[row];
    if (ca.textContent !== ta) ca.textContent = ta;
    if (cb.textContent !== tb) cb.textContent = tb;
  };
  const put = (row, a, b) => write(row, formatNumber(a), formatNumber(b));
  const sliderLabel = (param) => model.sliders.find((s) => s.param === param)?.label ?? param;
  st.readout.classList.toggle("preview", !!preview);
  st.readout.classList.toggle("pending", !preview && !!run.pending);
  if (preview) {
    const alt = previewPath(model, preview, k);
    const p = alt ? pointAt(alt.points, alt.count - 1) : null;
    // The family's row is the slider's value itself, unless the family lacks it.
    const on = alt && alt.value === Math.fround(preview.value);
    const what = preview.kind === "start"
      ? `start (${formatNumber(preview.x, 3)}, ${formatNumber(preview.y, 3)})`
      : `${sliderLabel(preview.param)} ${on ? "=" : "≈"} ${formatNumber(on ? preview.value : alt?.value ?? preview.value, 4)}`;
    setHead(st, `${what} · ${st.pending ? "computing…" : "preview"}`);
    put(0, p ? p[0] : NaN, p ? p[1] : NaN);
    run.series.forEach((_, i) => put(i + 1, NaN, NaN));
  } else if (run.pending) {
    // An exact path committed, its readout still Python's to compute: x is known.
    const { param, value } = model.committed;
    setHead(st, `${sliderLabel(param)} = ${formatNumber(value, 4)} · computing…`);
    put(0, run.points[2 * k], run.points[2 * k + 1]);
    run.series.forEach((_, i) => write(i + 1, "…", "…"));
  } else {
    const f = run.values ? run.values[k] : NaN;
    // Past a diverged run's end there is no f: its label already says where it ended.
    setHead(st, `${run.label} · step ${k}${Number.isFinite(f) ? ` · ${model.valueName} = ${formatNumber(f)}` : ""}`);
    put(0, run.points[2 * k], run.points[2 * k + 1]);
    run.series.forEach((s, i) => {
      const [a, b] = seriesRow(s.data, k);
      put(i + 1, a, b);
    });
  }
}

// ------------------------------------------------------------ the exercise
//
// Predict, then play: st.exercise is null (off) or {guess, revealed, answered, key}:
// `guess` [x, y] in data coordinates or null; `revealed`, Reveal (or Play) was pressed
// and the paths are back; `answered`, the reveal reached the last step: the guess is
// measured. `key` names the question (see followQuestion).

/** The Predict button (beside the zoom buttons), the prompt line (above the plot, in
 * the title's block: it never covers the plot) with its Reveal button, and the test
 * handle's fields. */
function wireExercise(st) {
  const predict = el("button", {
    type: "button", class: "ox-btn ox-predict", "aria-pressed": "false", text: "Predict",
    title: "Exercise: hide the paths, click where the run will end, then Reveal (P)",
  });
  st.lectureLink.before(predict);
  const text = el("span", { class: "ox-prompt-text" });
  const again = el("button", { type: "button", class: "ox-btn ox-reveal", text: "Reveal" });
  const prompt = el("div", { class: "ox-prompt", role: "status", "aria-live": "polite", hidden: "" }, text, again);
  st.head.append(prompt);
  Object.assign(st, { predictButton: predict, prompt, promptText: text, revealButton: again });
  predict.addEventListener("click", () => toggleExercise(st));
  again.addEventListener("click", () => {
    if (!st.exercise) return;
    if (st.exercise.revealed) askAgain(st);
    else reveal(st);
  });
  Object.defineProperties(st.root.__explorer, {
    /** Whether the exercise is on. */
    exercise: { get: () => !!st.exercise },
    /** The guess [x, y] (data coordinates), or null. */
    guess: { get: () => (st.exercise?.guess ? st.exercise.guess.slice() : null) },
    /** The paths are shown again (Reveal or Play pressed). */
    revealed: { get: () => !!st.exercise?.revealed },
    /** The reveal reached the last step: the guess is measured. */
    answered: { get: () => !!st.exercise?.answered },
    /** The distance from the guess to the run's last point, once answered; else null. */
    guessDistance: {
      get() {
        const ex = st.exercise;
        const i = exerciseRunIndex(st.model);
        if (!ex?.answered || i === null) return null;
        const d = guessDistance(ex.guess, answerPoint(st.model.runs[i]));
        return Number.isFinite(d) ? d : null;
      },
    },
    /** The index of the run asked about (the focused one). */
    exerciseRun: { get: () => exerciseRunIndex(st.model) },
    /** The prompt's text ("" when the exercise is off). */
    prompt: { get: () => (st.exercise ? st.promptText.textContent : "") },
  });
}

/** Paths, readout and f plot hidden: the exercise is asking. */
function asking(st) {
  return !!st.exercise && !st.exercise.revealed;
}

function toggleExercise(st) {
  if (st.exercise) {
    st.exercise = null;
  } else {
    st.exercise = { guess: null, revealed: false, answered: false, key: questionKey(st) };
    st.playing = false; // an animation would play on unseen
    syncPlayer(st);
  }
  syncExercise(st);
}

/** A fresh question: paths hidden, no guess. */
function askAgain(st) {
  if (!st.exercise) return;
  Object.assign(st.exercise, { guess: null, revealed: false, answered: false });
  st.playing = false;
  syncPlayer(st);
  syncExercise(st);
}

/** The paths come back and play from step 0, as Play does; the guess is measured when
 * they reach the end (drawGuess). */
function reveal(st) {
  if (!st.exercise || !st.model) return;
  st.exercise.revealed = true;
  st.step = 0;
  st.playing = true;
  st.lastTs = null;
  syncPlayer(st);
  syncExercise(st);
}

function placeGuess(st, [x, y]) {
  if (!asking(st)) return;
  st.exercise.guess = [x, y];
  syncExercise(st);
}

/** A blob's "predict" flag turns the exercise on when a blob first sets it, never
 * again while blobs keep it set (the user may have left it). */
function exerciseOnBlob(st, model) {
  if (model.predict && !st.predictFlag && !st.exercise) toggleExercise(st);
  st.predictFlag = model.predict;
}

/** What the exercise asks, as a string: the run asked about, its steps, start and
 * answer. A changed setting changes it. */
function questionKey(st) {
  const i = exerciseRunIndex(st.model);
  if (i === null) return "";
  const run = st.model.runs[i];
  return [i, run.label, run.steps, run.points[0], run.points[1], answerPoint(run)].join("|");
}

/** A changed setting (a new blob, an exact path shown at a slider's release) is a new
 * question: the exercise stays on, asking, its guess cleared. Another run's change
 * leaves the question as it was. */
function followQuestion(st) {
  const key = questionKey(st);
  if (key === st.exercise.key) return;
  st.exercise.key = key;
  askAgain(st);
}

/** The DOM after a change of the exercise's state: the root's classes, the buttons,
 * the prompt's text; the plot laid out again where the prompt line came or went. */
function syncExercise(st) {
  const ex = st.exercise;
  st.root.classList.toggle("exercise", !!ex);
  st.root.classList.toggle("asking", asking(st));
  st.dirtyBg = true; // the basins and ensembles hide while it asks
  st.predictButton.setAttribute("aria-pressed", String(!!ex));
  st.prompt.hidden = !ex;
  if (ex) {
    const i = exerciseRunIndex(st.model);
    const run = i === null ? null : st.model.runs[i];
    const text = run ? exercisePrompt({
      label: run.label, steps: run.steps, guess: ex.guess, revealed: ex.revealed, answered: ex.answered,
      answer: answerPoint(run),
    }) : "No run to predict.";
    if (st.promptText.textContent !== text) st.promptText.textContent = text;
    const label = ex.revealed ? "Ask again" : "Reveal";
    if (st.revealButton.textContent !== label) {
      st.revealButton.textContent = label;
      st.revealButton.title = ex.revealed ? "Hide the paths and clear the guess" : "Show the paths, then measure the guess (space)";
    }
    st.revealButton.classList.toggle("ox-reveal-go", !ex.revealed);
  }
  // The prompt line sits above the plot: lecture mode and full screen fit the plot
  // under it again.
  const h = st.head.offsetHeight;
  if (h !== st.headHeight) {
    st.headHeight = h;
    st.dirtyLayout = true;
  }
  st.readoutKey = "";
  st.fCache = null;
  schedule(st);
}

/** The foreground: the paths as ever, or, while the exercise asks, the starts and
 * minima alone; then the guess and, once answered, its distance to the answer. */
function drawPaths(st) {
  if (!st.exercise) {
    drawForeground(st);
    return;
  }
  followQuestion(st);
  if (st.exercise.revealed) drawForeground(st);
  else drawQuestion(st);
  const i = exerciseRunIndex(st.model);
  if (i !== null && st.exercise.revealed && !st.exercise.answered && st.step >= st.model.runs[i].steps) {
    st.exercise.answered = true;
    syncExercise(st);
  }
  drawGuess(st);
}

/** What the question shows: the start squares (the start still drags) and the minima;
 * no path, marker or arrow, not even a preview's. */
function drawQuestion(st) {
  const { model } = st;
  const { ctx, m } = clearedForeground(st);
  const tf = transform(st);
  const seen = new Set();
  model.runs.forEach((run, i) => {
    if (st.hidden.has(run.label)) return;
    let [x, y] = [run.points[0], run.points[1]];
    if (i === model.focus && st.preview?.kind === "start") [x, y] = [st.preview.x, st.preview.y];
    const k = `${x},${y}`;
    if (seen.has(k) || !Number.isFinite(x) || !Number.isFinite(y)) return;
    seen.add(k);
    square(ctx, tf.ax + tf.kx * x, tf.ay + tf.ky * y, m.square, i === model.focus);
  });
  for (const [x, y] of model.minima) star(ctx, tf.ax + tf.kx * x, tf.ay + tf.ky * y, m.star);
  ctx.restore();
}

/** The guess: a cross labelled "your guess"; once answered, a dashed line from it to
 * the run's last point, the distance at its middle. */
function drawGuess(st) {
  const ex = st.exercise;
  if (!ex.guess) return;
  const { fg, rect: r, size } = st;
  const m = metrics(st);
  const ctx = fg.getContext("2d");
  clipToPlot(ctx, size, r);
  const tf = transform(st);
  const gx = tf.ax + tf.kx * ex.guess[0];
  const gy = tf.ay + tf.ky * ex.guess[1];
  const font = `bold ${m.font}px ${fontFamily(st)}`;
  const label = (text, x, y, align, baseline) => {
    ctx.font = font;
    ctx.textAlign = align;
    ctx.textBaseline = baseline;
    ctx.lineWidth = 5;
    ctx.strokeStyle = "rgba(255, 255, 255, 0.92)";
    ctx.strokeText(text, x, y);
    ctx.fillStyle = "#111";
    ctx.fillText(text, x, y);
  };
  const i = exerciseRunIndex(st.model);
  const answer = ex.answered && i !== null ? answerPoint(st.model.runs[i]) : null;
  if (answer) {
    const ax = tf.ax + tf.kx * answer[0];
    const ay = tf.ay + tf.ky * answer[1];
    ctx.setLineDash([m.arrow * 2.5, m.arrow * 2]);
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = m.arrow + 3;
    moveLine(ctx, gx, gy, ax, ay);
    ctx.strokeStyle = "#111";
    ctx.lineWidth = m.arrow * 0.8;
    moveLine(ctx, gx, gy, ax, ay);
    ctx.setLineDash([]);
    label(formatNumber(guessDistance(ex.guess, answer), 3), (gx + ax) / 2, (gy + ay) / 2 - m.arrow * 2, "center", "bottom");
  }
  // The cross: its arms as long as a run's end ring is wide, cased in white.
  const arm = m.ring;
  for (const [color, width] of [["#fff", m.arrow + 4], ["#111", m.arrow + 0.5]]) {
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.beginPath();
    ctx.moveTo(gx - arm, gy - arm);
    ctx.lineTo(gx + arm, gy + arm);
    ctx.moveTo(gx - arm, gy + arm);
    ctx.lineTo(gx + arm, gy - arm);
    ctx.stroke();
  }
  // Its label on the side away from the answer (clear of the distance over the line's
  // middle), else to the right unless the plot's edge is near.
  ctx.font = font;
  const room = gx + arm + 6 + ctx.measureText("your guess").width <= r.x + r.w;
  const right = answer ? tf.ax + tf.kx * answer[0] < gx : room;
  label("your guess", right ? gx + arm + 6 : gx - arm - 6, gy - arm, right ? "left" : "right", "bottom");
  ctx.restore();
}

function moveLine(ctx, x0, y0, x1, y1) {
  ctx.beginPath();
  ctx.moveTo(x0, y0);
  ctx.lineTo(x1, y1);
  ctx.stroke();
}

import { type OssimEvent, readTrace, type TraceHeader } from '@ossim/eventlog';
import { assembleProgram, type Workload } from '@ossim/kernel';
import { parseStrace, type StraceLog } from '@ossim/trace';

/** What a dropped or picked file is. */
export type LoadedFile =
  | { readonly kind: 'recording'; readonly header: TraceHeader; readonly batches: AsyncIterable<readonly OssimEvent[]> }
  | { readonly kind: 'strace'; readonly log: StraceLog; readonly text: string }
  | { readonly kind: 'workload'; readonly workload: Workload };

const isGzip = (b: Uint8Array): boolean => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/** The file's bytes, gunzipped (by the gzip magic, whatever its name) with the platform's DecompressionStream. */
export async function* fileChunks(bytes: Uint8Array, chunkSize = 1 << 20): AsyncGenerator<Uint8Array> {
  if (!isGzip(bytes)) {
    for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
    return;
  }
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

/** True when the text's first line looks like an ossim recording's header (a JSON object) rather than strace output. */
function looksLikeRecording(name: string, head: string): boolean {
  if (/\.ndjson(\.gz)?$/i.test(name)) return true;
  return head.trimStart().startsWith('{');
}

/** The whole file as text. */
async function textOf(bytes: Uint8Array): Promise<string> {
  let text = '';
  const decoder = new TextDecoder();
  for await (const c of fileChunks(bytes)) text += decoder.decode(c, { stream: true });
  return text + decoder.decode();
}

/**
 * Opens a recording (`.ndjson`, `.ndjson.gz`), a workload (`.json`, or a program `.s`, as
 * `ossim run` takes them) or a real `strace -f` log. Errors are the
 * library's, with the file name and line, as the CLI prints them: an `EventlogError`
 * (`run.ndjson:3: seq jumps from 1 to 3 (event 2 is missing)`) or a `TraceError`
 * (`app.strace:12: ...`). A recording streams (`batches`, validated as they are read).
 */
export async function openFile(name: string, bytes: Uint8Array): Promise<LoadedFile> {
  let first: Uint8Array | undefined;
  for await (const c of fileChunks(bytes, 4096)) {
    first = c;
    break;
  }
  const head = new TextDecoder().decode(first ?? new Uint8Array()).slice(0, 200);
  // A workload, as `ossim run` takes it: the JSON of a Workload, or a program in the simulator's assembly.
  if (/\.s$/i.test(name)) {
    const text = await textOf(bytes);
    const base = name.replace(/^.*\//, '').replace(/\.s$/i, '').slice(0, 15) || 'prog';
    assembleProgram(base, text, name);
    return { kind: 'workload', workload: { name: base, programs: { [base]: text }, processes: [{ program: base }] } };
  }
  if (/\.json$/i.test(name)) {
    const text = await textOf(bytes);
    try {
      return { kind: 'workload', workload: JSON.parse(text) as Workload };
    } catch (e) {
      throw new Error(`${name}: not JSON (${(e as Error).message})`);
    }
  }
  if (looksLikeRecording(name, head)) {
    const trace = await readTrace(fileChunks(bytes), name);
    return { kind: 'recording', header: trace.header, batches: trace.batches };
  }
  const text = await textOf(bytes);
  return { kind: 'strace', log: parseStrace(text, { source: name, parseArgs: false }), text };
}

import type { PGlite } from '@electric-sql/pglite';
import { NodeFS } from '@electric-sql/pglite/nodefs';

type Init = Awaited<ReturnType<NodeFS['init']>>;
type SetAttr = (target: unknown, attr: { mode?: number }) => void;
interface EmscriptenNodeFs {
  node_ops?: { setattr?: SetAttr };
  stream_ops?: { setattr?: SetAttr };
}

const GROUP_AND_OTHER = 0o077;

/**
 * PGlite's files on disk, owner-only. Its file system (Emscripten's NODEFS) sets the mode of
 * every file it creates with an explicit chmod — 0666 for the ~1,000 files of a new database —
 * and chmod ignores the process umask. This one strips group and other bits from every mode it
 * sets, so new WAL segments and relations stay private too. Directories and empty files it
 * creates through Node's fs already follow the umask (useOwnerOnlyUmask).
 */
export class OwnerOnlyNodeFS extends NodeFS {
  override async init(pg: PGlite, options: Parameters<NodeFS['init']>[1]): Promise<Init> {
    const { emscriptenOpts } = await super.init(pg, options);
    // After NodeFS's own step, which mounts NODEFS, and before any file is written.
    return { emscriptenOpts: { ...emscriptenOpts, preRun: [...(emscriptenOpts.preRun ?? []), (mod) => maskModes(mod.NODEFS)] } };
  }
}

function maskModes(nodefs: unknown): void {
  const { node_ops: nodeOps, stream_ops: streamOps } = nodefs as EmscriptenNodeFs;
  if (!nodeOps?.setattr || !streamOps?.setattr) {
    // Fail closed: a PGlite upgrade that moved these must not silently write 0666 files again.
    throw new Error('This PGlite build does not expose NODEFS setattr: cannot keep the embedded database owner-only.');
  }
  nodeOps.setattr = masked(nodeOps.setattr);
  streamOps.setattr = masked(streamOps.setattr);
}

function masked(setattr: SetAttr): SetAttr {
  return (target, attr) => setattr(target, typeof attr.mode === 'number' ? { ...attr, mode: attr.mode & ~GROUP_AND_OTHER } : attr);
}

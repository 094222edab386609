/**
 * Which images a cell's host waits for beyond its toolchain image (the base,
 * its Go image and row layer, which every cell and calibration needs): its
 * Python's or JVM's layer on the row, its older userland's layer. The run
 * builds exactly the union of these, and each cell waits only for its own,
 * so a C host on the default userland waits for none of them.
 */
import { hostLangOf } from './host-kind.js';
import { type HostLang, type LangLayer, langLayerKey, langSupport, type SysrootLayer } from './host-langs.js';
import { toolchainNa } from './toolchains.js';
import type { CaseSpec, CellSpec } from './types.js';
import { userlandNa, userlandNamed, userlandSupport } from './userlands.js';
import { rowNa } from './windows.js';

export interface CellImageNeeds {
  /** The host's language, started once per row before its first host (absent for a C host, and where no host runs). */
  lang?: HostLang;
  /** The layer that language runs from: a Debian sysroot or a musl CPython; absent when the toolchain image has it. */
  langLayer?: LangLayer;
  /** The older userland's layer the host loads on. */
  userlandLayer?: SysrootLayer;
}

/**
 * A cell that runs no host (a toolchain or userland the row lacks) needs no
 * layer; in a user's rootfs (`rootfs`) the hosts bring their own language and
 * libc, so neither is built.
 */
export function cellImageNeeds(cell: CellSpec, c: CaseSpec, rootfs: boolean): CellImageNeeds {
  const p = cell.platform;
  const lang = hostLangOf(c);
  if (rootfs || rowNa(p, c) || toolchainNa(p, cell.go) || userlandNa(p, cell.userland, { lang, gccgo: !!cell.go.gccgo })) return {};
  const sup = lang && langSupport(p, lang);
  const on = userlandSupport(p, userlandNamed(cell.userland));
  return {
    ...(lang ? { lang } : {}),
    ...(sup && sup.kind === 'layer' ? { langLayer: sup.layer } : {}),
    ...(on.kind === 'layer' ? { userlandLayer: on.layer } : {}),
  };
}

/** A layer the run builds, with the short name the live view and the log give it (`python arm64-musl (CPython)`). */
export interface WantedLayer {
  key: string;
  layer: LangLayer;
  label: string;
}

/** Every layer the cells wait for, each once (by langLayerKey), in the cells' order; its label names the rows that use it. */
export function layersOfCells(cells: readonly CellSpec[], cases: ReadonlyMap<string, CaseSpec>, rootfs: boolean): WantedLayer[] {
  const rows = new Map<string, { layer: LangLayer; what: string; rows: string[] }>();
  const add = (layer: LangLayer, what: string, row: string) => {
    const key = langLayerKey(layer);
    const seen = rows.get(key) ?? { layer, what, rows: [] };
    if (!seen.rows.includes(row)) seen.rows.push(row);
    rows.set(key, seen);
  };
  for (const cell of cells) {
    const needs = cellImageNeeds(cell, cases.get(cell.caseName)!, rootfs);
    if (needs.langLayer) add(needs.langLayer, needs.lang!, cell.platform.name);
    if (needs.userlandLayer) add(needs.userlandLayer, cell.userland!, cell.platform.name);
  }
  return [...rows].map(([key, { layer, what, rows }]) => ({ key, layer, label: `${what} ${rows.join(', ')} (${kindOf(layer)})` }));
}

const kindOf = (l: LangLayer): string => (l.kind === 'cpython' ? 'CPython' : l.lang === 'libc' ? 'userland' : 'sysroot');

/** The live view's line: which layers some cells still wait for. */
export const layersLine = (building: readonly string[]): string =>
  building.length ? `layers still building: ${building.join('; ')}` : 'every layer is ready';

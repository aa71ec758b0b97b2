// Output folders written in one piece (`merge --out`): the contents go to a temporary sibling folder,
// which replaces the target only when everything is written; on any failure it is removed, so a merge
// that fails half-way leaves no half-written folder behind.
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { fileError, inputError } from '../errors.ts';
import { checkWritablePlace, makeDirs, temporarySibling } from './output-file.ts';

export interface OutputFolderSpec {
  path: string;
  /** "merged results folder" */
  what: string;
  /** Folders read by the same command: the output must be none of them and not inside one. */
  inputs?: readonly string[];
  /**
   * When set, an existing folder must be empty or a previous output holding this file ("results.json"),
   * which is then replaced; when unset, files are written into whatever folder is there (`run`).
   */
  replaceable?: string;
}

const within = (inner: string, outer: string): boolean => inner === outer || inner.startsWith(outer + sep) || outer.startsWith(inner + sep);

/** Checks an output folder before any work is done; returns it absolute. */
export function checkOutputFolder(spec: OutputFolderSpec): string {
  const target = resolve(spec.path);
  for (const input of spec.inputs ?? []) {
    if (within(target, resolve(input))) throw inputError('OUTPUT_IS_INPUT', `${spec.what} ${spec.path} overlaps the input ${input}; give a new folder, e.g. ${spec.path.replace(/\/+$/, '')}-out`);
  }
  if (existsSync(target)) {
    let st;
    try {
      st = statSync(target);
    } catch (err) {
      throw fileError(err, { what: spec.what, path: spec.path, action: 'write' });
    }
    if (!st.isDirectory()) throw inputError('OUTPUT_NOT_A_FOLDER', `cannot write ${spec.what} ${spec.path}: it is a file, not a folder; give a folder path`);
    const entries = spec.replaceable === undefined ? [] : readdirSync(target);
    if (spec.replaceable !== undefined && entries.length > 0 && !entries.includes(spec.replaceable)) {
      throw inputError('OUTPUT_NOT_EMPTY', `cannot write ${spec.what} ${spec.path}: the folder holds other files (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', ...' : ''}); give a new or empty folder, or a previous output (it holds ${spec.replaceable})`);
    }
  }
  checkWritablePlace(target, spec.what);
  return target;
}

export interface StagedFolder {
  /** Where to write the contents. */
  readonly dir: string;
  readonly target: string;
  /** Puts the contents in place of the target (replacing a previous output). */
  commit(): void;
  /** Removes the temporary folder; safe after commit. */
  discard(): void;
}

export function stageOutputFolder(spec: OutputFolderSpec): StagedFolder {
  const target = checkOutputFolder(spec);
  makeDirs(dirname(target), spec.what);
  const dir = temporarySibling(target);
  makeDirs(dir, spec.what);
  let committed = false;
  return {
    dir,
    target,
    commit() {
      const old = existsSync(target) ? temporarySibling(target) : null;
      try {
        if (old) renameSync(target, old);
        renameSync(dir, target);
        committed = true;
      } catch (err) {
        if (old && !existsSync(target)) renameSync(old, target);
        throw fileError(err, { what: spec.what, path: spec.path, action: 'write' });
      }
      if (old) rmSync(old, { recursive: true, force: true });
    },
    discard() {
      if (!committed) rmSync(dir, { recursive: true, force: true });
    },
  };
}

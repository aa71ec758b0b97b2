// What a function_graph line is, and the fields the function-column scan fills in.

export const L_EMPTY = 0;
export const L_HEADER = 1;
export const L_SEPARATOR = 2;
export const L_TASK_SWITCH = 3;
export const L_LOST = 4;
export const L_OVERRUN = 5;
export const L_IRQ_ENTER = 6;
export const L_IRQ_EXIT = 7;
export const L_ENTRY = 8;
export const L_LEAF = 9;
export const L_EXIT = 10;
export const L_COMMENT = 11;
export const L_UNKNOWN = 12;

/** The part of the scanner's record the function column sets. */
export interface ContentFields {
  kind: number;
  depth: number;
  /** Printed name range (entry, leaf, exit tail); nameEnd === nameStart when absent. */
  nameStart: number;
  nameEnd: number;
  /** FNV-1a hash of the name bytes of an entry or leaf (for SymbolTable.lookupHashed). */
  nameHash: number;
  /** The `} /* name *\/` tail was cut short (no closing `*\/`): the name may be a prefix. */
  tailCut: boolean;
  retStart: number;
  retEnd: number;
  /** Comment text range. */
  textStart: number;
  textEnd: number;
}

/** Server-wide search limits and names, shared by the HTTP layer, the CapabilityStatement and tests. */
export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 1000;
/** The opaque keyset cursor carried by self/next/previous links. */
export const CURSOR_PARAM = '_cursor';
/** Most resources added by _include/_revinclude to one page (an outcome warning says when it was reached). */
export const MAX_INCLUDES = 1000;
/** How many rounds of `:iterate` are followed. */
export const MAX_INCLUDE_ITERATIONS = 5;
/** Deepest chain (`a.b.c.d`) or nested `_has` accepted. */
export const MAX_CHAIN_DEPTH = 4;
/** Most parameters one search may carry (each becomes a condition of the query). */
export const MAX_SEARCH_PARAMS = 100;
/** Most _include + _revinclude specs in one search. */
export const MAX_INCLUDE_SPECS = 20;
/** Time budget of one search when the server configures none (SEARCH_TIMEOUT_MS). */
export const DEFAULT_SEARCH_TIMEOUT_MS = 10_000;

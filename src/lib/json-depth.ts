// How deep a JSON text nests, found without parsing it: JSON.parse copes with any depth, but what then
// walks the value recursively (JSON.stringify, template strings, signing) overflows the stack on a few
// thousand levels. Every JSON that arrives from outside is measured before it is used.

/** Deepest JSON nesting accepted: protobuf's JSON parser stops at 100 (google/protobuf/util/json_util.h). */
export const MAX_JSON_DEPTH = 100;

/** Deepest nesting of `[`/`{` outside strings (what walks the parsed value recursively overflows the stack). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) max = depth;
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
}


import { invalidField } from "../../lib/errors";
import { utf8Length } from "./csv";
import { excerpt } from "./import-reports";

export const MAX_COLUMNS = 200;
const MAX_HEADER_BYTES = 16_384;
const MAX_KEY_CHARS = 100;

/** Export prefixes attribute keys that collide with its own columns; import takes the prefix off again. */
export const ATTRIBUTE_PREFIX = "attributes.";

export interface ImportColumns {
  /** The header names as written in the file. */
  email: string;
  name: string | null;
  status: string | null;
  attributes: string[];
}

export interface HeaderMap {
  columns: ImportColumns;
  email: number;
  name: number | null;
  status: number | null;
  /** Column index of each attribute, in the order of `attribute_keys` in the messages. */
  attributeIndexes: number[];
  attributeKeys: string[];
  /** Columns without a name: a value in one of them (or beyond the last column) rejects its row. */
  unnamed: Set<number>;
  width: number;
}

export function mapHeader(fields: string[]): HeaderMap {
  if (fields.length > MAX_COLUMNS) throw invalidField("body", "", `The CSV has ${fields.length} columns; at most ${MAX_COLUMNS} are supported`);
  const map: HeaderMap = {
    columns: { email: "", name: null, status: null, attributes: [] },
    email: -1,
    name: null,
    status: null,
    attributeIndexes: [],
    attributeKeys: [],
    unnamed: new Set(),
    width: fields.length,
  };
  const seen = new Set<string>();
  fields.forEach((raw, index) => {
    const name = raw.trim();
    if (name === "") {
      map.unnamed.add(index);
      return;
    }
    const lower = name.toLowerCase();
    const key = lower.startsWith(ATTRIBUTE_PREFIX) && name.length > ATTRIBUTE_PREFIX.length ? name.slice(ATTRIBUTE_PREFIX.length) : name;
    const identity = key === name ? lower : `${ATTRIBUTE_PREFIX}${key}`;
    if (seen.has(identity)) throw invalidField("body", name, `The column "${name}" appears more than once in the header row`);
    seen.add(identity);
    if (key === name && lower === "email") {
      map.email = index;
      map.columns.email = name;
    } else if (key === name && lower === "name") {
      map.name = index;
      map.columns.name = name;
    } else if (key === name && lower === "status") {
      map.status = index;
      map.columns.status = name;
    } else {
      if (key.length > MAX_KEY_CHARS) throw invalidField("body", name, `The column name "${excerpt(name)}" is longer than ${MAX_KEY_CHARS} characters`);
      map.attributeIndexes.push(index);
      map.attributeKeys.push(key);
      map.columns.attributes.push(name);
    }
  });
  if (map.email < 0) {
    const shown = fields.map((f) => f.trim()).filter(Boolean).slice(0, 10).join(", ");
    throw invalidField("body", "email", `The CSV has no "email" column; its header row is: ${excerpt(shown) || "(empty)"}`);
  }
  if (utf8Length(JSON.stringify(map.attributeKeys)) > MAX_HEADER_BYTES) {
    throw invalidField("body", "", `The header row's column names add up to more than ${MAX_HEADER_BYTES} bytes`);
  }
  return map;
}

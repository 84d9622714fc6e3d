import { utf8Length } from "../../lib/encoding";
import { invalidField } from "../errors";
import type { AttributeType } from "./attribute-values";
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
  /** How each attribute column's values are read, by header name: as declared, or `auto`. */
  types: Record<string, AttributeType>;
}

export interface HeaderMap {
  columns: ImportColumns;
  email: number;
  name: number | null;
  status: number | null;
  /** Column index of each attribute, in the order of `attribute_keys` in the messages. */
  attributeIndexes: number[];
  attributeKeys: string[];
  attributeTypes: AttributeType[];
  /** Columns without a name: a value in one of them (or beyond the last column) rejects its row. */
  unnamed: Set<number>;
  width: number;
}

/**
 * Reads the header row. `declared` holds the types given with the request, by header name as written; naming a
 * column the file does not have as an attribute is a 422, so that a typo cannot silently import strings.
 */
export function mapHeader(fields: string[], declared: ReadonlyMap<string, AttributeType> = new Map()): HeaderMap {
  if (fields.length > MAX_COLUMNS)
    throw invalidField("body", "", `The CSV has ${fields.length} columns; at most ${MAX_COLUMNS} are supported`);
  const map: HeaderMap = {
    columns: { email: "", name: null, status: null, attributes: [], types: {} },
    email: -1,
    name: null,
    status: null,
    attributeIndexes: [],
    attributeKeys: [],
    attributeTypes: [],
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
      if (key.length > MAX_KEY_CHARS)
        throw invalidField("body", name, `The column name "${excerpt(name)}" is longer than ${MAX_KEY_CHARS} characters`);
      map.attributeIndexes.push(index);
      const type = declared.get(name) ?? "auto";
      map.attributeKeys.push(key);
      map.attributeTypes.push(type);
      map.columns.attributes.push(name);
      map.columns.types[name] = type;
    }
  });
  if (map.email < 0) {
    const shown = fields
      .map((f) => f.trim())
      .filter(Boolean)
      .slice(0, 10)
      .join(", ");
    throw invalidField("body", "email", `The CSV has no "email" column; its header row is: ${excerpt(shown) || "(empty)"}`);
  }
  for (const name of declared.keys()) {
    if (!(name in map.columns.types)) {
      throw invalidField(
        "query",
        "types",
        `The CSV has no attribute column "${excerpt(name)}" to read as ${declared.get(name)}; its attribute columns are: ${excerpt(map.columns.attributes.join(", ")) || "(none)"}`,
      );
    }
  }
  if (utf8Length(JSON.stringify(map.attributeKeys)) > MAX_HEADER_BYTES) {
    throw invalidField("body", "", `The header row's column names add up to more than ${MAX_HEADER_BYTES} bytes`);
  }
  return map;
}

/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";

/** The repository's own documents, keyed by their path from the repository root. */
const documents = Object.fromEntries(
  Object.entries(
    import.meta.glob<string>(["../../README.md", "../../docs/**/*.md"], { query: "?raw", import: "default", eager: true }),
  ).map(([path, text]) => [path.replace(/^\.\.\/\.\.\//, ""), text]),
);

/** Markdown link targets and backticked paths: what a reader would follow. */
function references(text: string): string[] {
  const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
  const paths = [...text.matchAll(/`([^`\s]*\/[^`\s]*)`/g)].map((m) => m[1]);
  return [...links, ...paths];
}

describe("the repository's documents", () => {
  it("are the README and docs/architecture.md", () => {
    expect(Object.keys(documents)).toEqual(expect.arrayContaining(["README.md", "docs/architecture.md"]));
  });

  it("point at nothing outside the repository", () => {
    for (const [path, text] of Object.entries(documents)) {
      for (const target of references(text)) expect(target, `${path} refers to ${target}`).not.toMatch(/(^|\/)\.\.\//);
    }
  });

  it("link only to documents that exist", () => {
    for (const [path, text] of Object.entries(documents)) {
      const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/") + 1) : "";
      const links = [...text.matchAll(/\]\(([^)\s#]+\.md)(#[^)]*)?\)/g)].map((m) => m[1]).filter((l) => !/^[a-z]+:/.test(l));
      for (const link of links) expect(Object.keys(documents), `${path} links ${link}`).toContain(`${dir}${link}`);
    }
  });
});

/** JavaScript files imported as text by wrangler.toml's [[rules]]: the Worker serves them, it does not run them. */
declare module "*/dist/browser/standalone.js" {
  const text: string;
  export default text;
}

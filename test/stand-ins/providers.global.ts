/** Filled in with the local stand-in; vitest runs this before the workers project. */
export default async function setup(): Promise<void> {}

/** Injected wherever behaviour depends on the current time, so tests can pin it. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

import { z } from "@hono/zod-openapi";

/** Any string: an invalid pixel token still gets the GIF, and an invalid click token the same 404 page. */
export const PixelParamsSchema = z.object({
  pixel: z.string().openapi({ description: "The signed open token", example: "AQ3n8fLq..." }),
});

export const ClickParamsSchema = z.object({
  token: z.string().openapi({ description: "The signed click token (it carries the original URL)", example: "AQ3n8fLq..." }),
});

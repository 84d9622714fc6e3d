import { invalidFields } from "../errors";
import { TemplateRenderError, TemplateSyntaxError } from "./liquid";

/**
 * Liquid errors as 422s that name the field, and for syntax errors the line and column. The HTML of a visual
 * template is compiled from its design, so its errors point at visual_definition.
 */
export function asTemplateValidationError(err: unknown, templateType: "code" | "visual"): unknown {
  if (!(err instanceof TemplateSyntaxError || err instanceof TemplateRenderError)) return err;
  const field = err.field === "body_html" && templateType === "visual" ? "visual_definition" : (err.field ?? "body_html");
  if (err instanceof TemplateSyntaxError) {
    return invalidFields(`Liquid syntax error in ${field} at line ${err.line}, column ${err.column}: ${err.message}`, [
      { location: "body", path: field, message: err.message, line: err.line, column: err.column },
    ]);
  }
  return invalidFields(`The template could not be rendered: ${err.message}`, [{ location: "body", path: field, message: err.message }]);
}

import { describe, expect, it } from "vitest";
import { providerTypes } from "../../src/db/schema/enums";
import { credentialKeysSet, providerCredentialSchemas, secretCredentialKeys } from "../../src/provider-clients/credentials";

const VALID = {
  ses: { access_key_id: "AKIAIOSFODNN7EXAMPLE", secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1" },
  sendgrid: { api_key: "SG.abc.def" },
  mailgun: { api_key: "key-0123456789", domain: "mg.example.com" },
  postmark: { server_token: "00000000-0000-0000-0000-000000000000" },
  smtp: { host: "smtp.example.com", port: 587, username: "user@example.com", password: "pass word" },
  capture: {},
} as const;

/** The dotted paths of what a schema refuses, the way the API reports them in a 422. */
function refusals(type: keyof typeof providerCredentialSchemas, input: unknown): string[] {
  const parsed = providerCredentialSchemas[type].safeParse(input);
  return parsed.success ? [] : [...new Set(parsed.error.issues.map((issue) => issue.path.join(".") || `(${issue.code})`))];
}

describe("provider credential schemas", () => {
  it("has one schema for every provider type", () => {
    expect(Object.keys(providerCredentialSchemas).sort()).toEqual([...providerTypes].sort());
    expect(Object.keys(secretCredentialKeys).sort()).toEqual([...providerTypes].sort());
  });

  it.each(Object.entries(VALID))("accepts valid %s credentials", (type, input) => {
    expect(refusals(type as keyof typeof VALID, input)).toEqual([]);
  });

  it("fills in the defaults", () => {
    expect(providerCredentialSchemas.mailgun.parse(VALID.mailgun).region).toBe("us");
    expect(providerCredentialSchemas.postmark.parse(VALID.postmark).message_stream).toBe("outbound");
    expect(providerCredentialSchemas.smtp.parse(VALID.smtp).tls).toBe("starttls");
  });

  it("trims pasted keys but never a password", () => {
    expect(providerCredentialSchemas.sendgrid.parse({ api_key: " SG.abc.def\n" }).api_key).toBe("SG.abc.def");
    expect(providerCredentialSchemas.smtp.parse({ ...VALID.smtp, password: " secret " }).password).toBe(" secret ");
    expect(providerCredentialSchemas.mailgun.parse({ ...VALID.mailgun, domain: " MG.Example.com " }).domain).toBe("mg.example.com");
  });

  it("refuses missing keys", () => {
    expect(refusals("ses", { access_key_id: VALID.ses.access_key_id })).toEqual(["secret_access_key", "region"]);
    expect(refusals("sendgrid", {})).toEqual(["api_key"]);
    expect(refusals("mailgun", { api_key: "k" })).toEqual(["domain"]);
    expect(refusals("postmark", { message_stream: "outbound" })).toEqual(["server_token"]);
    expect(refusals("smtp", { host: "smtp.example.com" })).toEqual(["port", "username", "password"]);
  });

  it("refuses unknown keys, credentials for capture included", () => {
    expect(refusals("sendgrid", { ...VALID.sendgrid, api_secret: "x" })).toEqual(["(unrecognized_keys)"]);
    expect(refusals("ses", { ...VALID.ses, session_token: "x" })).toEqual(["(unrecognized_keys)"]);
    expect(refusals("capture", { api_key: "x" })).toEqual(["(unrecognized_keys)"]);
  });

  it.each(["us-east", "US-EAST-1", "useast1", "us_east_1", "us-east-1a", "-1", ""])("refuses the SES region %j", (region) => {
    expect(refusals("ses", { ...VALID.ses, region })).toEqual(["region"]);
  });

  it.each(["us-east-1", "eu-central-1", "ap-southeast-2", "us-gov-west-1", "il-central-1"])("accepts the SES region %s", (region) => {
    expect(refusals("ses", { ...VALID.ses, region })).toEqual([]);
  });

  it("refuses an access key id that is not one", () => {
    expect(refusals("ses", { ...VALID.ses, access_key_id: "akiaiosfodnn7example" })).toEqual(["access_key_id"]);
    expect(refusals("ses", { ...VALID.ses, access_key_id: "AKIA" })).toEqual(["access_key_id"]);
  });

  it.each([0, 65536, -25, 25.5, "587"])("refuses the SMTP port %j", (port) => {
    expect(refusals("smtp", { ...VALID.smtp, port })).toEqual(["port"]);
  });

  it("refuses unknown enum values and malformed hosts", () => {
    expect(refusals("smtp", { ...VALID.smtp, tls: "ssl" })).toEqual(["tls"]);
    expect(refusals("mailgun", { ...VALID.mailgun, region: "asia" })).toEqual(["region"]);
    expect(refusals("smtp", { ...VALID.smtp, host: "smtp.example.com:587" })).toEqual(["host"]);
    expect(refusals("mailgun", { ...VALID.mailgun, domain: "https://mg.example.com" })).toEqual(["domain"]);
  });

  it("refuses a user name that would smuggle in another SMTP command", () => {
    expect(refusals("smtp", { ...VALID.smtp, username: "user\r\nRCPT TO:<x@example.com>" })).toEqual(["username"]);
  });

  it("refuses keys with whitespace inside and empty secrets", () => {
    expect(refusals("sendgrid", { api_key: "SG.abc def" })).toEqual(["api_key"]);
    expect(refusals("sendgrid", { api_key: "   " })).toEqual(["api_key"]);
    expect(refusals("smtp", { ...VALID.smtp, password: "" })).toEqual(["password"]);
  });
});

describe("credentialKeysSet", () => {
  it("says which keys are set without a single value", () => {
    expect(credentialKeysSet({ api_key: "key-secret", domain: "mg.example.com", region: "us" })).toEqual({
      api_key: true,
      domain: true,
      region: true,
    });
  });

  it("reports empty and absent values as unset", () => {
    expect(credentialKeysSet({ api_key: "", domain: null, region: undefined, port: 0, tls: false })).toEqual({
      api_key: false,
      domain: false,
      region: false,
      port: true,
      tls: true,
    });
    expect(credentialKeysSet({})).toEqual({});
  });
});

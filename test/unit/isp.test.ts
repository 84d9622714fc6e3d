import { describe, expect, it } from "vitest";
import { classifyIsp } from "../../src/domain/reputation/isp";

describe("classifyIsp", () => {
  it.each([
    ["someone@gmail.com", "gmail"],
    ["someone@googlemail.com", "gmail"],
    ["Some.One+tag@GMail.COM", "gmail"],
    ["gmail.com", "gmail"],
    ["gmail.com.", "gmail"],
    ["  x@gmail.com ", "gmail"],
    ["a@outlook.com", "microsoft"],
    ["a@outlook.de", "microsoft"],
    ["a@hotmail.com", "microsoft"],
    ["a@hotmail.co.uk", "microsoft"],
    ["a@hotmail.fr", "microsoft"],
    ["a@HOTMAIL.IT", "microsoft"],
    ["a@live.com", "microsoft"],
    ["a@live.co.uk", "microsoft"],
    ["a@live.nl", "microsoft"],
    ["a@msn.com", "microsoft"],
    ["a@passport.com", "microsoft"],
    ["a@windowslive.com", "microsoft"],
    ["a@yahoo.com", "yahoo"],
    ["a@yahoo.co.uk", "yahoo"],
    ["a@yahoo.fr", "yahoo"],
    ["a@yahoo.com.br", "yahoo"],
    ["a@ymail.com", "yahoo"],
    ["a@rocketmail.com", "yahoo"],
    ["a@aol.com", "yahoo"],
    ["a@aol.de", "yahoo"],
    ["a@aim.com", "yahoo"],
    ["a@verizon.net", "yahoo"],
    ["a@icloud.com", "apple"],
    ["a@me.com", "apple"],
    ["a@mac.com", "apple"],
    ["a@ICloud.Com", "apple"],
  ])("%s → %s", (input, isp) => {
    expect(classifyIsp(input)).toBe(isp);
  });

  it.each([
    // Yahoo! JAPAN is a different company with its own mail service.
    "a@yahoo.co.jp",
    // Subdomains of mailbox domains are nobody's mailbox.
    "a@mail.gmail.com",
    "a@eu.outlook.com",
    "a@news.yahoo.com",
    // Look-alikes and other owners of a brand word.
    "a@gmail.co",
    "a@gmailcom.com",
    "a@live.io",
    "a@outlook.xyz",
    "a@mygmail.com",
    "a@hotmail",
    // Google Workspace or Microsoft 365 mail on a company's own domain cannot be told by the name.
    "a@example.com",
    "a@company.io",
    // Not addresses at all.
    "",
    "@",
    "not-an-email",
    "a@constructor",
    "a@__proto__",
    "a@hasownproperty.com",
  ])("%j → other", (input) => {
    expect(classifyIsp(input)).toBe("other");
  });

  it("looks at the part after the last @ only", () => {
    expect(classifyIsp('"a@yahoo.com"@gmail.com')).toBe("gmail");
  });
});

/** Secrets the test Worker runs with; vitest.config.ts binds them, tests use them to authenticate. */
export const TEST_SECRETS = {
  ADMIN_TOKEN: "test-admin-token-0123456789",
  TRACKING_SIGNING_KEY: "test-tracking-signing-key-0123456789abcdef",
  ENCRYPTION_KEY: "dGVzdC1lbmNyeXB0aW9uLWtleS0zMi1ieXRlcy0hISE=",
};

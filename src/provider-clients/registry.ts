import { captureClient } from "./capture.provider";
import type { ProviderClient } from "./contract";
import type { ProviderType } from "./credentials";
import { mailgunClient } from "./mailgun.provider";
import { postmarkClient } from "./postmark.provider";
import { sendgridClient } from "./sendgrid.provider";
import { sesClient } from "./ses.provider";
import { smtpClient } from "./smtp.provider";

const clients: { [T in ProviderType]: ProviderClient<T> } = {
  ses: sesClient,
  sendgrid: sendgridClient,
  mailgun: mailgunClient,
  postmark: postmarkClient,
  smtp: smtpClient,
  capture: captureClient,
};

export function clientFor<T extends ProviderType>(type: T): ProviderClient<T> {
  return clients[type];
}

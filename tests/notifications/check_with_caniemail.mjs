// Check emails' HTML against what mail programs support, by the data of caniemail.com
// (@jsx-email/doiuse-email): the rules a real renderer enforces, as far as they are known.
//
//   node check_with_caniemail.mjs CLIENT-GLOB... < emails.json
//
// stdin is a JSON array of HTML documents; stdout a JSON array with, for each, the
// features that some named client does not support at all ("errors") and those it
// supports only in part ("warnings"). Exits with status 1 if the input cannot be read.
import { readFileSync } from "node:fs";
import { doIUseEmail } from "@jsx-email/doiuse-email";

try {
  const documents = JSON.parse(readFileSync(0, "utf8"));
  const emailClients = process.argv.slice(2);
  const results = documents.map((html) => {
    const { errors = [], warnings = [] } = doIUseEmail(html, { emailClients });
    return { errors, warnings };
  });
  process.stdout.write(JSON.stringify(results));
} catch (error) {
  process.stderr.write(`caniemail check failed: ${error.message}\n`);
  process.exit(1);
}

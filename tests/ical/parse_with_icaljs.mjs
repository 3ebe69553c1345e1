// Read iCalendar text from stdin and print, as JSON, what Mozilla's ical.js
// (the parser of Thunderbird) sees in it: a second parser, independent of the
// Python `icalendar` package that wrote the feed.
//
//   node parse_with_icaljs.mjs < feed.ics           -> {calendar, events}
//   node parse_with_icaljs.mjs --many < texts.json  -> [{calendar, events}, ...]
//   node parse_with_icaljs.mjs --serve              one JSON line in, one out
//
// With --many, stdin is a JSON array of iCalendar texts, so that a test can
// check several feeds with one Node process. With --serve, each line of stdin
// is such an array and each answer one line of JSON, {"calendars": [...]} or
// {"error": "..."}, until stdin closes: the test session keeps one Node process
// for all its calendars instead of starting one per test. Times are printed as UTC instants
// (ISO 8601, "Z"), computed by ical.js from the VTIMEZONE in the file itself,
// with the TZID it resolved, so a missing or wrong VTIMEZONE shows. Bytes that
// are not UTF-8 (say, a character split by line folding) are an error, as is
// anything ical.js cannot parse; either exits with status 1 and a message.
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import ICAL from "ical.js";

function instant(time) {
  if (!time) return null;
  return {
    utc: time.toJSDate().toISOString().replace(".000Z", "Z"),
    tzid: time.zone ? time.zone.tzid : null,
    date_only: time.isDate,
  };
}

function describe(text) {
  const root = new ICAL.Component(ICAL.parse(text));
  if (root.name !== "vcalendar") throw new Error(`top component is ${root.name}`);
  const events = root.getAllSubcomponents("vevent").map((vevent) => {
    const event = new ICAL.Event(vevent);
    const value = (name) => {
      const found = vevent.getFirstPropertyValue(name);
      return found === null || found === undefined ? null : String(found);
    };
    return {
      uid: event.uid,
      start: instant(event.startDate),
      end: instant(event.endDate),
      status: value("status"),
      summary: event.summary,
      sequence: event.sequence,
      location: event.location,
      description: event.description,
      url: value("url"),
      dtstamp: instant(vevent.getFirstPropertyValue("dtstamp")),
      properties: vevent.getAllProperties().map((property) => property.name),
      components: vevent.getAllSubcomponents().map((component) => component.name),
      alarms: vevent.getAllSubcomponents("valarm").map((alarm) => {
        const trigger = alarm.getFirstProperty("trigger");
        return {
          action: alarm.getFirstPropertyValue("action"),
          // A duration before or after the start ("-P1D"), as ical.js writes it back.
          trigger: trigger ? String(trigger.getFirstValue()) : null,
          related: trigger ? trigger.getParameter("related") || null : null,
          description: alarm.getFirstPropertyValue("description"),
          properties: alarm.getAllProperties().map((property) => property.name),
        };
      }),
    };
  });
  const value = (name) => {
    const found = root.getFirstPropertyValue(name);
    return found === null || found === undefined ? null : String(found);
  };
  return {
    calendar: {
      version: value("version"),
      prodid: value("prodid"),
      method: value("method"),
      name: value("x-wr-calname"),
      refresh_interval: value("refresh-interval"),
      published_ttl: value("x-published-ttl"),
      timezones: root
        .getAllSubcomponents("vtimezone")
        .map((zone) => zone.getFirstPropertyValue("tzid")),
      components: root.getAllSubcomponents().map((component) => component.name),
    },
    events,
  };
}

if (process.argv.includes("--serve")) {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  lines.on("line", (line) => {
    let answer;
    try {
      answer = { calendars: JSON.parse(line).map(describe) };
    } catch (error) {
      answer = { error: `ical.js could not read the calendar: ${error.message}` };
    }
    process.stdout.write(JSON.stringify(answer) + "\n");
  });
} else {
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(readFileSync(0));
    const many = process.argv.includes("--many");
    const result = many ? JSON.parse(text).map(describe) : describe(text);
    process.stdout.write(JSON.stringify(result));
  } catch (error) {
    process.stderr.write(`ical.js could not read the calendar: ${error.message}\n`);
    process.exit(1);
  }
}

// Parse an .ics with Mozilla's ical.js (npm) and print one line per VEVENT:
// UID<TAB>START_UTC<TAB>END_UTC<TAB>SUMMARY, sorted. Registers the file's VTIMEZONEs, so the
// times are converted with the exported zone definition. usage: node reimport_icaljs.js FILE
const fs = require("fs");
const path = require("path");
const ICAL = require(path.join(__dirname, "node_modules", "ical.js"));
const comp = new ICAL.Component(ICAL.parse(fs.readFileSync(process.argv[2], "utf8")));
for (const vtz of comp.getAllSubcomponents("vtimezone")) ICAL.TimezoneService.register(vtz);
const rows = [];
for (const v of comp.getAllSubcomponents("vevent")) {
  const ev = new ICAL.Event(v);
  if (!ev.startDate.zone || ev.startDate.zone.tzid === "floating") throw new Error("floating start");
  const f = (t) => t.toJSDate().toISOString().replace(".000Z", "Z");
  rows.push([ev.uid, f(ev.startDate), f(ev.endDate), ev.summary].join("\t"));
}
console.log(rows.sort().join("\n"));

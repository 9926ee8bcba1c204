#!/usr/bin/python3
"""make_cases.py — writes tests/badinput/cases/*/case (and the small text inputs) for the
bad-input corpus. The case files are the data the runner
(tests/integration/test_robust_badinput.sh) reads; edit the cases HERE and rerun
`/usr/bin/python3 tests/badinput/make_cases.py` (binary inputs come from make_inputs.py).
Each case: what the input is, the command, the documented exit code, a regex for the one
error line (naming the file), optional setup/check shell lines, lines (allowed error lines)
and xfail (a known bug elsewhere, with the reason)."""
import os
C = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'cases')
def case(name, desc, cmd, exit, error, setup=(), check=(), lines=None, files=None, xfail=None):
    d = os.path.join(C, name)
    os.makedirs(d, exist_ok=True)
    s = '# %s\n' % desc
    for x in setup: s += 'setup: %s\n' % x
    s += 'cmd: %s\nexit: %d\nerror: %s\n' % (cmd, exit, error)
    if lines: s += 'lines: %d\n' % lines
    for x in check: s += 'check: %s\n' % x
    if xfail: s += 'xfail: %s\n' % xfail
    open(os.path.join(d, 'case'), 'w').write(s)
    for fn, data in (files or {}).items():
        open(os.path.join(d, fn), 'wb').write(data if isinstance(data, bytes) else data.encode())

def ics(*lines): return ''.join(l + '\r\n' for l in lines)
def ev(*body): return ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//t//EN', 'BEGIN:VEVENT', 'UID:e1@t', 'DTSTAMP:20260101T000000Z', *body, 'END:VEVENT', 'END:VCALENDAR')
CHK = 'calendar check partner.ics'
# ---------------- calendars ----------------
case('calendar-empty', 'a 0-byte calendar', CHK, 1, r'partner\.ics.*empty', files={'partner.ics': ''})
case('calendar-html-page', 'the partner saved the web page instead of the .ics', CHK, 1, r'partner\.ics.*(not|iCalendar|VCALENDAR)',
     files={'partner.ics': '<!DOCTYPE html>\n<html><head><title>Calendar</title></head><body>Sign in</body></html>\n'})
case('calendar-binary-garbage', 'random bytes', CHK, 1, r'partner\.ics')
case('calendar-png', 'an image renamed .ics', CHK, 1, r'partner\.ics')
case('calendar-utf16', 'UTF-16 text (Windows "Unicode")', CHK, 1, r'partner\.ics')
case('calendar-nul-bytes', 'NUL bytes inside', CHK, 1, r'partner\.ics')
case('calendar-missing-end', 'no END:VCALENDAR (cut short)', CHK, 1, r'partner\.ics.*END',
     files={'partner.ics': ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'BEGIN:VEVENT', 'UID:a@t', 'DTSTART:20260316T070000Z', 'END:VEVENT')})
case('calendar-missing-dtstart', 'an event without DTSTART', CHK, 1, r'partner\.ics:[0-9]+: error: .*DTSTART', files={'partner.ics': ev('SUMMARY:x')})
case('calendar-interval-zero', 'RRULE INTERVAL=0', CHK, 1, r'partner\.ics:[0-9]+: error: .*INTERVAL',
     files={'partner.ics': ev('DTSTART:20260316T070000Z', 'RRULE:FREQ=WEEKLY;INTERVAL=0')})
case('calendar-count-and-until', 'RRULE with both COUNT and UNTIL', CHK, 1, r'partner\.ics:[0-9]+: error: .*(COUNT|UNTIL)',
     files={'partner.ics': ev('DTSTART:20260316T070000Z', 'RRULE:FREQ=DAILY;COUNT=3;UNTIL=20260401T000000Z')})
case('calendar-byhour-25', 'RRULE BYHOUR=25', CHK, 1, r'partner\.ics:[0-9]+: error: .*BYHOUR',
     files={'partner.ics': ev('DTSTART:20260316T070000Z', 'RRULE:FREQ=DAILY;BYHOUR=25')})
case('calendar-bad-freq', 'RRULE FREQ=FORTNIGHTLY', CHK, 1, r'partner\.ics:[0-9]+: error: .*(FREQ|RRULE)',
     files={'partner.ics': ev('DTSTART:20260316T070000Z', 'RRULE:FREQ=FORTNIGHTLY')})
case('calendar-dtend-before-dtstart', 'DTEND before DTSTART', CHK, 1, r'partner\.ics:[0-9]+: error: .*DTEND',
     files={'partner.ics': ev('DTSTART:20260316T080000Z', 'DTEND:20260316T070000Z')})
case('calendar-duration-overflow', 'a DURATION no calendar can hold (P999999999999999999W)', CHK, 1, r'partner\.ics:8: error: event .* skipped: DURATION has a duration of P999999999999999999W',
     files={'partner.ics': ev('DTSTART:20260316T070000Z', 'DURATION:P999999999999999999W')})
case('calendar-rscale-unknown', 'an RRULE in a calendar system no library computes (RSCALE=MARTIAN)', CHK, 1, r'partner\.ics:8: error: event .* skipped: RRULE has RSCALE=MARTIAN',
     files={'partner.ics': ev('DTSTART;VALUE=DATE:20260316', 'RRULE:RSCALE=MARTIAN;FREQ=YEARLY')})
case('calendar-unknown-tzid', 'TZID that is no zone', CHK, 1, r'partner\.ics:[0-9]+: error: .*(TZID|zone)',
     files={'partner.ics': ev('DTSTART;TZID=Mars/Olympus_Mons:20260316T070000')})
case('calendar-invalid-date', 'DTSTART on 30 February', CHK, 1, r'partner\.ics:7: error: event .* skipped: DTSTART has 2026-02-30, a day that does not exist',
     files={'partner.ics': ev('DTSTART;VALUE=DATE-TIME:20260230T070000Z')})
case('calendar-invalid-time', 'DTSTART at 25:00', CHK, 1, r'partner\.ics:7: error: event .* skipped: DTSTART has the time 25:00:00',
     files={'partner.ics': ev('DTSTART;TZID=Africa/Lagos:20260316T250000')})
case('calendar-until-impossible', 'an RRULE UNTIL on 31 April', CHK, 1, r"partner\.ics:8: error: event .* skipped: the RRULE's UNTIL has 2026-04-31",
     files={'partner.ics': ev('DTSTART:20260316T070000Z', 'RRULE:FREQ=WEEKLY;UNTIL=20260431T000000Z')})
case('calendar-exdate-impossible', 'EXDATE on 29 February of a common year, folded', CHK, 1, r'partner\.ics:9: error: event .* skipped: EXDATE has 2027-02-29',
     files={'partner.ics': ev('DTSTART:20260316T070000Z', 'RRULE:FREQ=WEEKLY', 'EXDATE:20260323T070000Z,', ' 20270229T070000Z')})
case('calendar-too-large', 'over the 8 MB limit (made in setup)', CHK, 1, r'partner\.ics.*(large|limit|MB|bytes)',
     setup=['{ printf "BEGIN:VCALENDAR\\r\\nVERSION:2.0\\r\\n"; for i in $(seq 1 140000); do printf "X-PAD-%06d:%s\\r\\n" $i 0123456789012345678901234567890123456789012345678901234567; done; printf "END:VCALENDAR\\r\\n"; } > partner.ics'])
case('calendar-nesting-too-deep', 'components nested beyond the depth limit', CHK, 1, r'partner\.ics.*(nest|deep|depth)',
     files={'partner.ics': ics('BEGIN:VCALENDAR', 'VERSION:2.0', *['BEGIN:X-NEST'] * 40, *['END:X-NEST'] * 40, 'END:VCALENDAR')})
case('calendar-missing-file', 'a file that is not there', 'calendar check nowhere.ics', 3, r"nowhere\.ics")
case('calendar-is-folder', 'a folder named .ics', CHK, 1, r"partner\.ics.*(regular file|folder)", setup=['mkdir partner.ics'])
case('calendar-fifo', 'a named pipe: must not hang', CHK, 1, r"partner\.ics.*(regular file|folder|device)", setup=['mkfifo partner.ics'])
case('calendar-dev-zero', '/dev/zero through a symlink: must not read forever', CHK, 1, r"partner\.ics.*(regular file|device)", setup=['ln -s /dev/zero partner.ics'])
case('calendar-import-invalid', 'import refuses a broken calendar and changes nothing', 'calendar import partner.ics --priority 3', 1,
     r'partner\.ics:8: error: .*INTERVAL', files={'partner.ics': ev('DTSTART:20260316T070000Z', 'RRULE:FREQ=WEEKLY;INTERVAL=0')},
     check=['! test -e "$ST/calendars/partner.ics.new"', '! grep -q "partner.ics = 3" "$ST/station.conf"'])
case('calendar-import-empty', 'import of an empty file', 'calendar import partner.ics', 1, r'partner\.ics.*empty', files={'partner.ics': ''})
case('calendar-import-several', 'two broken files and a good one: one line each, one summary, nothing imported', 'calendar import partner.ics empty.ics good.ics', 1,
     r'(partner\.ics:8: error: .*INTERVAL|empty\.ics:1: error: .*empty|nothing was imported: 2 of 3 files have errors)', lines=3,
     files={'partner.ics': ev('DTSTART:20260316T070000Z', 'RRULE:FREQ=WEEKLY;INTERVAL=0'), 'empty.ics': '',
            'good.ics': ev('DTSTART:20260316T070000Z', 'SUMMARY:fine')},
     check=['! test -e "$ST/calendars/good.ics"', '! grep -q "good.ics" "$ST/station.conf"'])
case('calendar-expand-unbounded', 'FREQ=SECONDLY since 1990 over a month: bounded, names the event', 'calendar expand --from 2026-03-01 --to 2026-04-01 partner.ics', 1,
     r'(unbounded@t|Every second|limit|too many)', files={'partner.ics': ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//t//EN', 'BEGIN:VEVENT', 'UID:unbounded@t', 'DTSTAMP:20260101T000000Z', 'DTSTART:19900101T000000Z', 'RRULE:FREQ=SECONDLY', 'SUMMARY:Every second', 'END:VEVENT', 'END:VCALENDAR')})
case('calendar-station-broken', 'a broken calendar already in calendars/: build refuses and names it', 'build --date 2026-03-16', 1, r'partner\.ics', lines=2,
     setup=["printf 'BEGIN:VCALENDAR\\r\\nVERSION:2.0\\r\\nBEGIN:VEVENT\\r\\nUID:x\\r\\nEND:VCALENDAR\\r\\n' > \"$ST/calendars/partner.ics\""])
case('calendar-expand-bad-window', '--to before --from is a usage error', 'calendar expand --from 2026-04-01 --to 2026-03-01 partner.ics', 2, r'(--to|--from|before|after)',
     files={'partner.ics': ev('DTSTART:20260316T070000Z')})
# ---------------- calendar subscriptions (subscribe/update/unsubscribe; no server: nothing listens on port 9) ----------------
SUBS = '"$ST/calendars/subscriptions.conf"'
NOSECRET = '! grep -rq private-0123456789abcdef0123 "$ST"'
def subs_conf(text): return ["printf '%s' > %s" % (text, SUBS)]
case('sub-link-ftp', 'subscribe to an ftp:// link: a usage error', 'calendar subscribe ftp://partner.example/private-0123456789abcdef0123/cal.ics', 2,
     r'not an https://, http:// or webcal:// link', check=[NOSECRET, '! test -e ' + SUBS])
case('sub-link-no-host', 'a link without a server name', 'calendar subscribe https:///cal.ics', 2, r'no server name')
case('sub-link-blank', 'a link with a blank in it (pasted in two pieces)', "calendar subscribe 'https://partner.example/my cal.ics'", 2, r'blank')
case('sub-unreachable', 'subscribe while the partner cannot be reached: nothing stored, the secret not printed',
     'calendar subscribe http://127.0.0.1:9/private-0123456789abcdef0123/basic.ics', 3,
     r'^chalkwave: calendar subscribe: http://127\.0\.0\.1:9 \(link [0-9a-f]{8}\): cannot connect to 127\.0\.0\.1:9 .*nothing was stored',
     check=[NOSECRET, '! test -e ' + SUBS, '! grep -q 127.0.0.1 "$ST/station.conf"'])
case('sub-name-path', '--name with a path in it', 'calendar subscribe http://127.0.0.1:9/x.ics --name ../etc/passwd', 2, r'--name must be a calendar name')
case('sub-name-link', '--name given the link by mistake: never echoed', 'calendar subscribe http://127.0.0.1:9/x.ics --name https://p.example/private-0123456789abcdef0123/basic.ics', 2,
     r'--name must be a calendar name', check=[NOSECRET])
case('sub-pin-bad', '--pin that is no key and no file', 'calendar subscribe https://127.0.0.1:9/x.ics --pin sha256//short', 2, r'--pin needs sha256//BASE64')
case('sub-pin-not-pem', '--pin naming a file that holds no key', 'calendar subscribe https://127.0.0.1:9/x.ics --pin notes.txt', 1, r'notes\.txt.*no PEM certificate or public key',
     files={'notes.txt': 'not a certificate\n'})
case('sub-self-signed-http', '--self-signed on an http:// link', 'calendar subscribe http://127.0.0.1:9/x.ics --self-signed', 2, r'--pin and --self-signed are for https:// links')
case('sub-timeout-range', '--timeout 0', 'calendar subscribe http://127.0.0.1:9/x.ics --timeout 0', 2, r'--timeout must be between 1 and 3600')
case('subs-update-days', 'update --days 0', 'calendar update --days 0', 2, r'--days must be between 1 and 366')
case('subs-conf-unknown-key', 'subscriptions.conf with a misspelt key: refused with its line', 'calendar update', 1,
     r'subscriptions\.conf:3: unknown key .colour.', setup=subs_conf('[a.ics]\\nurl = https://p.example/a.ics\\ncolour = red\\n'))
case('subs-conf-pasted-link', 'a link pasted into subscriptions.conf without "url =": refused, the link not quoted', 'calendar update', 1,
     r'subscriptions\.conf:2: .https://p\.example. is not .key = value.', setup=subs_conf('[a.ics]\\nhttps://p.example/private-0123456789abcdef0123/basic.ics\\n'),
     check=[NOSECRET.replace('"$ST"', '"$ST/station.conf" "$ST/library"')])
case('subs-conf-garbage', 'random bytes as subscriptions.conf', 'calendar list', 1, r'subscriptions\.conf:[0-9]+:',
     setup=['head -c 3000 /dev/urandom | tr "\\n" "x" > ' + SUBS])
case('subs-conf-self-signed-no-pin', 'tls = self-signed without a pin: refused (never an unverified fetch)', 'calendar update', 1,
     r'subscriptions\.conf:1: \[a\.ics\] says tls = self-signed without a pin', setup=subs_conf('[a.ics]\\nurl = https://p.example/a.ics\\ntls = self-signed\\n'))
case('subs-conf-too-large', 'a 2 MB subscriptions.conf', 'calendar update', 1, r'subscriptions\.conf.*(large|bytes)',
     setup=['head -c 2000000 /dev/zero | tr "\\0" "#" > ' + SUBS])
case('subs-conf-is-folder', 'subscriptions.conf is a folder', 'calendar update', 1, r'subscriptions\.conf', setup=['mkdir ' + SUBS])
case('subs-update-unknown', 'update of a calendar that is no subscription', 'calendar update partner', 2, r"'partner' is no subscription",
     setup=subs_conf('[a.ics]\\nurl = https://p.example/a.ics\\n'))
case('subs-unsubscribe-unknown', 'unsubscribe of an imported calendar', 'calendar unsubscribe partner', 1, r'calendars/partner\.ics is no subscription')
# ---------------- audio (ingest FILE) ----------------
ING = 'ingest --series maths --episode 2 --title Shapes lesson.wav'
def aud(name, desc, error, exit=1, cmd=ING, **kw):
    case(name, desc, cmd, exit, error, **kw)
aud('audio-zero-bytes', 'a 0-byte WAV', r'lesson\.wav.*(empty|0 bytes)')
aud('audio-text-named-wav', 'a text file named .wav', r'lesson\.wav.*text file, not a recording.*WAV.*MP3')
aud('audio-random-bytes', 'random bytes named .wav', r'lesson\.wav')
aud('audio-wav-truncated', 'WAV cut at a third', r'lesson\.wav.*(truncat|short|damaged|incomplete|complete)')
aud('audio-wav-header-claims-more', 'WAV header claims 10 s, holds 1.5 s', r'lesson\.wav.*(truncat|short|damaged|incomplete|complete)')
aud('audio-wav-huge-data-size', 'WAV data chunk claims 4 GB', r'lesson\.wav')
aud('audio-wav-nan', 'float WAV with NaN samples', r'lesson\.wav.*(NaN|invalid|not a number)')
aud('audio-wav-inf', 'float WAV with an infinite sample', r'lesson\.wav.*(inf|invalid|NaN)')
aud('audio-one-sample', 'a WAV of one sample', r'lesson\.wav.*(short|seconds)')
aud('audio-too-short', '0.5 s (minimum 1 s)', r'lesson\.wav.*(short|seconds)')
aud('audio-digital-silence', '2 s of digital silence', r'lesson\.wav.*(silen|quiet)')
aud('audio-near-silence', '2 s of noise at -100 dBFS', r'lesson\.wav.*(silen|quiet)')
aud('audio-rate-too-low', '4 kHz WAV (minimum 8 kHz)', r'lesson\.wav.*(Hz|rate)')
aud('audio-sixteen-channels', '16 channels (maximum 8)', r'lesson\.wav.*(channel)')
aud('audio-too-long', '40 s for a station with max_length 30', r'lesson\.wav.*(long|max)',
    setup=['sox -n -r 8000 -c 1 -b 16 lesson.wav synth 40 sine 300 vol 0.3'])
aud('audio-bad-fmt-chunk', 'WAV with a garbage fmt chunk', r'lesson\.wav')
aud('audio-zero-channels', 'WAV header says 0 channels', r'lesson\.wav')
aud('audio-zero-rate', 'WAV header says 0 Hz', r'lesson\.wav')
aud('audio-flac-truncated', 'FLAC cut in half', r'lesson\.flac.*(truncat|short|damaged|incomplete|complete)', cmd=ING.replace('.wav', '.flac'))
aud('audio-flac-corrupt-frames', 'FLAC with zeroed frames', r'lesson\.flac', cmd=ING.replace('.wav', '.flac'))
aud('audio-mp3-garbage', 'ID3 tag then garbage', r'lesson\.mp3', cmd=ING.replace('.wav', '.mp3'))
aud('audio-ogg-bad-crc', 'Ogg Vorbis with a damaged page', r'lesson\.ogg', cmd=ING.replace('.wav', '.ogg'))
aud('audio-ogg-headers-only', 'Ogg Vorbis with headers and no audio', r'lesson\.ogg', cmd=ING.replace('.wav', '.ogg'))
aud('audio-m4a-no-moov', 'M4A whose recording was interrupted: no index (moov)', r'lesson\.m4a.*not finished.*record it again', cmd=ING.replace('.wav', '.m4a'))
aud('audio-wma-truncated', 'WMA cut in half', r'lesson\.wma.*(cut short|damaged)', cmd=ING.replace('.wav', '.wma'))
aud('audio-m4a-truncated', 'M4A (index first) cut in half: shorter than its index says', r'lesson\.m4a.*cut short.*stops at', cmd=ING.replace('.wav', '.m4a'))
aud('audio-m4a-random-after-header', 'M4A whose sound after the index is random bytes', r'lesson\.m4a.*damaged', cmd=ING.replace('.wav', '.m4a'))
aud('audio-video-no-sound', 'an MP4 video without a sound track', r'lesson\.mp4.*this video has no sound', cmd=ING.replace('.wav', '.mp4'))
aud('audio-webm-truncated', 'WebM/Opus cut in half', r'lesson\.webm.*cut short', cmd=ING.replace('.wav', '.webm'))
aud('audio-oga-truncated', 'Ogg Opus (Telegram .oga) without its end', r'lesson\.oga.*(incomplete|cut short)', cmd=ING.replace('.wav', '.oga'))
aud('audio-aac-cut-inside-frame', 'ADTS AAC ending inside a frame', r'lesson\.aac.*cut short', cmd=ING.replace('.wav', '.aac'))
aud('audio-amr-random-frames', 'an AMR header followed by random bytes', r'lesson\.amr.*damaged', cmd=ING.replace('.wav', '.amr'))
aud('audio-pdf-named-m4a', 'a PDF document named .m4a: named, with the formats read', r'lesson\.m4a.*PDF document, not a recording.*WAV.*M4A', cmd=ING.replace('.wav', '.m4a'))
aud('audio-caf-truncated', 'CAF (ALAC) cut in half', r'lesson\.caf.*(cut short|damaged)', cmd=ING.replace('.wav', '.caf'))
aud('audio-missing-file', 'a file that is not there', r'nowhere\.wav', exit=3, cmd='ingest --series maths --episode 2 nowhere.wav')
aud('audio-is-folder', 'a folder named .wav', r'lesson\.wav', setup=['mkdir lesson.wav'])
aud('audio-fifo', 'a named pipe: must not hang', r'lesson\.wav', setup=['mkfifo lesson.wav'])
aud('audio-dev-zero', '/dev/zero through a symlink', r'lesson\.wav', setup=['ln -s /dev/zero lesson.wav'])
aud('audio-duplicate-episode', 'maths episode 1 exists already (no --replace)', r'again\.wav.*(exist|already)', cmd='ingest --series maths --episode 1 again.wav',
    setup=['cp "$COMMON/tone2.wav" again.wav'])
aud('audio-same-source-twice', 'the same source file as maths 1, as another episode', r'copy\.wav.*(already in the library)', cmd='ingest --series maths --episode 7 copy.wav',
    setup=['cp "$COMMON/tone.wav" copy.wav'])
aud('audio-options-episode-zero', '--episode 0 is refused', r'(episode)', exit=1, cmd='ingest --series maths --episode 0 lesson.wav', setup=['cp "$COMMON/tone2.wav" lesson.wav'])
aud('audio-options-kind-bogus', '--kind podcast is refused', r'(kind|podcast)', exit=2, cmd='ingest --series maths --episode 2 --kind podcast lesson.wav', setup=['cp "$COMMON/tone2.wav" lesson.wav'])
aud('audio-options-valid-date', '--valid-from 2026-02-30 is a usage error', r'(2026-02-30|date)', exit=2, cmd='ingest --series maths --episode 2 --valid-from 2026-02-30 lesson.wav', setup=['cp "$COMMON/tone2.wav" lesson.wav'])
aud('audio-options-valid-reversed', 'valid-until before valid-from', r'(valid|until|before)', exit=1, cmd='ingest --series maths --episode 2 --valid-from 2026-05-01 --valid-until 2026-04-01 lesson.wav', setup=['cp "$COMMON/tone2.wav" lesson.wav'])
aud('audio-options-series-slash', 'a series key that is a path', r'(series|\.\./)', exit=1, cmd='ingest --series ../../etc --episode 2 lesson.wav', setup=['cp "$COMMON/tone2.wav" lesson.wav'])
# ---------------- sidecars (ingest --inbox) ----------------
def side(name, desc, note, error, setup=(), **kw):
    st = ['cp "$COMMON/tone2.wav" "$ST/inbox/lesson.wav"'] + list(setup)
    if note is not None:
        st.append("printf %s > \"$ST/inbox/lesson.txt\"" % note)
    case(name, desc, 'ingest --inbox', 1, error, setup=st,
         check=['test -f "$ST/inbox/rejected/lesson.wav"', 'test -s "$ST/inbox/rejected/lesson.wav.reason.txt"', '! test -e "$ST/inbox/lesson.wav"'], **kw)
side('sidecar-episode-word', 'Episode: three', r"'Series: maths\nEpisode: three\n'", r'lesson\.wav.*lesson\.txt line 2.*episode')
side('sidecar-episode-zero', 'Episode: 0', r"'Series: maths\nEpisode: 0\n'", r'lesson\.wav.*episode')
side('sidecar-episode-huge', 'Episode: 99999999999999999999', r"'Series: maths\nEpisode: 99999999999999999999\n'", r'lesson\.wav.*episode')
side('sidecar-episode-negative', 'Episode: -3', r"'Series: maths\nEpisode: -3\n'", r'lesson\.wav.*episode')
side('sidecar-episode-trailing', 'Episode: 3b', r"'Series: maths\nEpisode: 3b\n'", r'lesson\.wav.*episode')
side('sidecar-kind-unknown', 'Kind: podcast', r"'Series: maths\nEpisode: 4\nKind: podcast\n'", r'lesson\.wav.*kind')
side('sidecar-kind-blackout', 'Kind: blackout (calendar-only kind)', r"'Series: maths\nEpisode: 4\nKind: blackout\n'", r'lesson\.wav.*kind')
side('sidecar-too-large', 'a 100 KB note', None, r'lesson\.wav.*(note|lesson\.txt).*(large|limit)',
     setup=['{ echo "Series: maths"; echo "Episode: 4"; head -c 100000 /dev/zero | tr "\\0" "x"; echo; } > "$ST/inbox/lesson.txt"'])
side('sidecar-is-folder', 'the note is a folder', None, r'lesson\.wav.*(note|lesson\.txt)', setup=['mkdir "$ST/inbox/lesson.txt"'])
side('sidecar-bad-date', 'Valid-From: next week', r"'Series: maths\nEpisode: 4\nValid-From: next week\n'", r'lesson\.wav.*(date|Valid)')
side('sidecar-bad-series', 'Series: ../../etc', r"'Series: ../../etc\nEpisode: 4\n'", r'lesson\.wav.*(series|Series)')
side('sidecar-nul-byte', 'a binary note (NUL bytes)', r"'Series: maths\nEpisode: 4\nTitle: a\000b\n'", r'lesson\.wav.*lesson\.txt line 3.*NUL')
side('sidecar-utf16-bad-episode', 'a UTF-16 note (Notepad "Unicode") with a blank line and Episode: three on line 4', None,
     r'lesson\.wav.*lesson\.txt line 4: episode .three.',
     setup=["printf 'Series: maths\\r\\n\\r\\nTitle: x\\r\\nEpisode: three\\r\\n' | iconv -f UTF-8 -t UTF-16 > \"$ST/inbox/lesson.txt\""])
side('sidecar-duplicate-episode', 'the note names maths episode 1, which exists', r"'Series: maths\nEpisode: 1\nTitle: Again\n'", r'lesson\.wav.*(exist|already)',
     setup=['cp "$COMMON/tone2.wav" "$ST/inbox/lesson.wav"'])
# ---------------- station.conf (any command that loads the station) ----------------
def conf(name, desc, sed_or_text, error, cmd='library', exit=1):
    if sed_or_text.startswith('sed '):
        s = [sed_or_text + ' "$ST/station.conf"']
    else:
        s = [sed_or_text]
    case(name, desc, cmd, exit, error, setup=s)
CONF = r'station\.conf'
conf('conf-missing-name', 'no name key', "sed -i '/^name/d'", CONF + r".*name")
conf('conf-bad-timezone', 'timezone Lagos (not IANA)', "sed -i 's|^timezone.*|timezone = Lagos|'", CONF + r":[0-9]+:.*timezone")
conf('conf-timezone-escape', 'timezone ../../../etc/passwd', "sed -i 's|^timezone.*|timezone = ../../../etc/passwd|'", CONF + r":[0-9]+:.*timezone")
conf('conf-rate-low', 'rate 7999', "sed -i 's|^rate.*|rate = 7999|'", CONF + r":[0-9]+:.*rate")
conf('conf-channels-nine', 'channels 9', "sed -i 's|^channels.*|channels = 9|'", CONF + r":[0-9]+:.*channels")
conf('conf-on-air-bad', 'on_air 25:00-26:00', "sed -i 's|^on_air.*|on_air = 25:00-26:00|'", CONF + r":[0-9]+:.*on_air")
conf('conf-on-air-empty', 'on_air 07:00-07:00', "sed -i 's|^on_air.*|on_air = 07:00-07:00|'", CONF + r":[0-9]+:.*on_air")
conf('conf-quality-nan', 'quality nan', "sed -i 's|^quality.*|quality = nan|'", CONF + r":[0-9]+:.*quality")
conf('conf-loudness-range', 'loudness -60', "sed -i 's|^loudness.*|loudness = -60|'", CONF + r":[0-9]+:.*loudness")
conf('conf-unknown-key', 'a misspelt key', "sed -i 's|^channels.*|chanels = 1|'", CONF + r":[0-9]+:.*chanels")
conf('conf-unknown-section', 'an unknown section', "printf '[playout]\\nengine = liquidsoap\\n' >> \"$ST/station.conf\"", CONF + r":[0-9]+:.*playout")
conf('conf-not-key-value', 'a line that is not key = value', "printf 'this is not a setting\\n' >> \"$ST/station.conf\"", CONF + r":[0-9]+:")
conf('conf-nul-byte', 'a NUL byte', "printf 'fade = 0.5\\0\\n' >> \"$ST/station.conf\"", CONF + r".*NUL")
conf('conf-not-utf8', 'Latin-1 bytes', "sed -i 's|^name.*|name = Radio \\xe9t\\xe9|'", CONF + r".*UTF-8")
conf('conf-line-too-long', 'a 300-character line', "sed -i \"s|^name.*|name = $(head -c 300 /dev/zero | tr '\\\\0' x)|\"", CONF + r":[0-9]+:.*(long|characters)")
conf('conf-too-large', 'a 300 KB station.conf', "for i in $(seq 1 20000); do echo '; padding padding padding'; done >> \"$ST/station.conf\"", CONF + r".*(large|limit|bytes)")
conf('conf-calendar-escape', 'a [calendars] entry with ..', "printf '[calendars]\\n../../secret.ics = 5\\n' >> \"$ST/station.conf\"", CONF + r":[0-9]+:.*secret")
conf('conf-calendar-twice', 'the same calendar listed twice', "printf 'partner.ics = 5\\n' >> \"$ST/station.conf\"", CONF + r":[0-9]+:.*partner\.ics")
conf('conf-min-over-max', 'min_length above max_length', "sed -i 's|^min_length.*|min_length = 40|'", CONF + r".*min_length")
conf('conf-is-folder', 'station.conf is a folder', 'rm "$ST/station.conf" && mkdir "$ST/station.conf"', CONF, exit=1)
conf('conf-missing', 'no station.conf at all', 'rm "$ST/station.conf"', CONF, exit=3)
conf('conf-bad-policy', 'missing = pray', "printf '[schedule]\\nmissing = pray\\n' >> \"$ST/station.conf\"", CONF + r":[0-9]+:.*missing")
conf('conf-on-air-overlap', 'on_air windows that overlap', "sed -i 's|^on_air.*|on_air = 06:00-10:00, 09:00-12:00|'", CONF + r":[0-9]+:.*on_air.*overlapping")
conf('conf-on-air-order', 'on_air windows out of the day\'s order', "sed -i 's|^on_air.*|on_air = 16:00-16:15, 06:00-09:00|'", CONF + r":[0-9]+:.*on_air.*order")
conf('conf-bundle-mode', '[bundle] mode = week', "printf '[bundle]\\nmode = week\\n' >> \"$ST/station.conf\"", CONF + r":[0-9]+:.*mode.*day or blocks")
conf('conf-missed-bad', '[schedule] missed = later', "printf '[schedule]\\nmissed = later\\n' >> \"$ST/station.conf\"", CONF + r":[0-9]+:.*missed.*skip or hold")
conf('conf-max-silence-negative', '[schedule] max_silence = -1', "printf '[schedule]\\nmax_silence = -1\\n' >> \"$ST/station.conf\"", CONF + r":[0-9]+:.*max_silence")
# ---------------- station changes (calendars/station.ics, chalkwave change) ----------------
case('changes-broken', 'calendars/station.ics edited by hand: a hold without its series', 'plan --date 2026-03-16', 1, r'station\.ics:2: a hold or restart needs X-CHALKWAVE-SERIES',
     setup=["printf 'BEGIN:VCALENDAR\\r\\nBEGIN:VEVENT\\r\\nUID:h\\r\\nX-CHALKWAVE-CHANGE:hold\\r\\nDTSTART;VALUE=DATE:20260316\\r\\nEND:VEVENT\\r\\nEND:VCALENDAR\\r\\n' > \"$ST/calendars/station.ics\""])
case('changes-not-text', 'calendars/station.ics holds binary bytes', 'build --date 2026-03-16', 1, r'station\.ics.*not UTF-8',
     setup=['head -c 300 /dev/urandom > "$ST/calendars/station.ics"; printf "\\xff" >> "$ST/calendars/station.ics"'])
case('change-remove-unknown', 'change remove of an id that is not there', 'change remove hold-nothing-20260316', 1, r"no station change 'hold-nothing-20260316'")
case('change-no-lesson', 'change cancel at a time no lesson starts', 'change cancel 2026-03-16 06:00', 3, r'no lesson starts at 06:00 on 2026-03-16')
case('change-bad-time', 'change move to 7pm', 'change move 2026-03-16 07:00 --to 7pm', 2, r"--to '7pm' is not a time")
case('plan-date-day-first', 'plan --date 16/03/2026', 'plan --date 16/03/2026', 2, r'16/03/2026: write it as 2026-03-16')
case('plan-missing-bad-format', 'plan --missing --format xml', 'plan --missing --format xml', 2, r"--format 'xml' is not known")
# ---------------- bundle directories (verify) ----------------
B = '"$ST/out/2026-03-16"'
def bund(name, desc, setup, error, exit=1, cmd='verify out-copy', **kw):
    case(name, desc, cmd, exit, error, setup=['cp -a "$ST/out/2026-03-16" out-copy'] + setup, **kw)
bund('bundle-flipped-byte', 'one byte of day.ogg flipped', ['printf "\\xff" | dd of=out-copy/day.ogg bs=1 seek=5000 conv=notrunc 2>/dev/null'], r'out-copy')
bund('bundle-missing-item', 'a listed file deleted', ['rm out-copy/playlist.m3u8'], r'out-copy')
bund('bundle-no-sums', 'SHA256SUMS deleted', ['rm out-copy/SHA256SUMS'], r'out-copy.*SHA256SUMS')
bund('bundle-sums-escape', 'SHA256SUMS names ../../../etc/passwd (must not be read)',
     ['echo "$(sha256sum /etc/hostname | cut -c1-64)  ../../../../../../../../etc/hostname" >> out-copy/SHA256SUMS'], r'out-copy')
bund('bundle-sums-absolute', 'SHA256SUMS names an absolute path',
     ['echo "$(sha256sum /etc/hostname | cut -c1-64)  /etc/hostname" >> out-copy/SHA256SUMS'], r'out-copy')
bund('bundle-sums-garbage', 'SHA256SUMS is not a checksum list', ['head -c 2000 /dev/urandom > out-copy/SHA256SUMS'], r'out-copy')
bund('bundle-ogg-bad-but-summed', 'day.ogg damaged and SHA256SUMS recomputed: the Ogg check must catch it',
     ['printf "\\x00\\x00\\x00\\x00" | dd of=out-copy/day.ogg bs=1 seek=3000 conv=notrunc 2>/dev/null',
      'cd out-copy && grep -v "  day.ogg$" SHA256SUMS > S && sha256sum day.ogg >> S && mv S SHA256SUMS'], r'out-copy')
bund('bundle-ogg-truncated-summed', 'day.ogg truncated and re-summed',
     ['cd out-copy && head -c 4000 day.ogg > d && mv d day.ogg && grep -v "  day.ogg$" SHA256SUMS > S && sha256sum day.ogg >> S && mv S SHA256SUMS'], r'out-copy')
bund('bundle-item-symlink-out', 'an item replaced by a symlink to a file outside the bundle',
     ['f=$(ls out-copy/items | head -1); cp out-copy/items/$f /tmp/.cw-badinput-outside.ogg.$$ && ln -sf /tmp/.cw-badinput-outside.ogg.$$ out-copy/items/$f'], r'out-copy')
bund('bundle-block-missing', 'a listed block file deleted', ['rm out-copy/blocks/*.ogg'], r'out-copy')
bund('bundle-block-swapped-summed', 'a block file replaced by an item file and re-summed: plan.json says what the block holds',
     ['cd out-copy && b=$(ls blocks/*.ogg) && rm "$b" && cp "items/$(ls items | head -1)" "$b" && grep -v "  $b$" SHA256SUMS > S && sha256sum "$b" >> S && mv S SHA256SUMS'], r'out-copy')
bund('bundle-events-unlisted', 'events.csv and its SHA256SUMS line deleted', ['cd out-copy && rm events.csv && grep -v "  events.csv$" SHA256SUMS > S && mv S SHA256SUMS'], r'out-copy')
bund('bundle-junk-and-unlisted', 'what Windows adds is ignored, but a stranger file still fails',
     ['touch out-copy/desktop.ini out-copy/Thumbs.db out-copy/._day.ogg', 'echo x > out-copy/readme-from-someone.txt'], r'out-copy')
bund('bundle-missing-dir', 'verify a folder that is not there', [], r'nowhere', exit=3, cmd='verify nowhere')
bund('bundle-is-file', 'verify a file, not a folder', ['touch plain-file'], r'plain-file', exit=3, cmd='verify plain-file')
case('build-out-is-file', 'build --out naming an existing file: refused, the file kept', 'build --date 2026-03-16 --out plain-file', 1, r'plain-file', setup=['echo keep > plain-file'], check=['grep -q keep plain-file'])
case('build-bad-date', 'build --date 2026-02-30 is a usage error', 'build --date 2026-02-30', 2, r'(2026-02-30|date)')
# ---------------- documented limits (doc/limits.md), each enforced with a clear message ----------------
case('limit-calendar-occurrences', 'every minute for a year: over the 100000 occurrences per window', 'calendar expand --from 2026-01-01 --to 2026-12-31 partner.ics', 1,
     r'(minutely@t|Every minute).*(bound|limit|occurrences)', files={'partner.ics': ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//t//EN', 'BEGIN:VEVENT', 'UID:minutely@t', 'DTSTAMP:20260101T000000Z', 'DTSTART:20260101T000000Z', 'RRULE:FREQ=MINUTELY', 'SUMMARY:Every minute', 'END:VEVENT', 'END:VCALENDAR')})
case('limit-conf-calendars', 'more than 1000 calendars in [calendars]', 'library', 1, r'station\.conf:[0-9]+:.*1000',
     setup=["printf '[calendars]\\n' >> \"$ST/station.conf\"; for i in $(seq 1 1001); do echo \"c$i.ics = 1\"; done >> \"$ST/station.conf\""])
case('limit-title-length', 'a title over 200 bytes', 'ingest --series maths --episode 2 --title "$(head -c 201 /dev/zero | tr \'\\0\' t)" lesson.wav', 1, r'lesson\.wav.*title.*200',
     setup=['cp "$COMMON/tone2.wav" lesson.wav'])
case('limit-episode-range', 'episode 1000 (1 to 999) is a usage error', 'ingest --series maths --episode 1000 lesson.wav', 2, r'episode.*999',
     setup=['cp "$COMMON/tone2.wav" lesson.wav'])
case('limit-plan-days', 'plan for more than 400 days', 'plan --from 2026-01-01 --to 2027-03-01', 2, r'400 days')
case('limit-export-days', 'export more than 400 days', 'export --from 2026-01-01 --to 2027-03-01', 2, r'400')
case('limit-sums-size', 'a SHA256SUMS over 16 MB', 'verify out-copy', 1, r'out-copy.*SHA256SUMS is too large.*16 MB',
     setup=['cp -a "$ST/out/2026-03-16" out-copy', 'head -c 17000000 /dev/zero | tr "\\0" "a" >> out-copy/SHA256SUMS'])
# ---------------- the desk: accounts, its settings and `serve` ----------------
case('desk-user-bad-name', 'a user name with a slash', 'user add "a/b" --password-stdin', 1, r'a/b.*user name')
case('desk-user-no-password', '--password-stdin with nothing on standard input', 'user add bob --password-stdin', 1,
     r'no password on standard input', check=['! grep -q bob "$ST/desk/users.json" 2>/dev/null'])
case('desk-user-no-terminal', 'no terminal to ask and no --password-stdin', 'user add bob', 2, r'--password-stdin')
case('desk-users-damaged', 'users.json cut short', 'user list', 3, r'users\.json',
     setup=['mkdir -p "$ST/desk" && printf \'{"users": [\' > "$ST/desk/users.json"'],
     check=['[ "$(cat "$ST/desk/users.json")" = \'{"users": [\' ]'])
case('desk-teacher-bad-name', 'a teacher called <script>', 'teacher add "<script>" --no-qr', 1, r'<script>.*teacher name')
case('desk-teacher-bad-language', 'language "en gb"', 'teacher add T --language "en gb" --no-qr', 1, r'en gb.*language')
case('desk-teacher-long-series', 'a 101-character series key', 'teacher add T --series "$(head -c 101 /dev/zero | tr \'\\0\' s)" --no-qr', 1,
     r'series key')
case('desk-teachers-damaged', 'teachers.json is not JSON', 'teacher list', 3, r'teachers\.json',
     setup=['mkdir -p "$ST/desk" && head -c 300 /dev/urandom > "$ST/desk/teachers.json"'])
case('desk-teacher-revoke-nobody', 'revoke a teacher that is not there', 'teacher revoke Nobody', 3, r'no teacher .Nobody.')
case('desk-serve-bad-listen', 'serve --listen without a port', 'serve --listen nowhere', 2, r'nowhere.*ADDR:PORT',
     check=['[ ! -e "$ST/desk" ]'])
case('desk-serve-cert-not-pem', 'serve --cert with a file that is not PEM', 'serve --listen 127.0.0.1:0 --cert c.pem --key c.pem', 1,
     r'c\.pem.*PEM', setup=['echo "not a certificate" > c.pem'], check=['[ ! -e "$ST/desk" ]'])
case('desk-serve-cert-missing', 'serve --cert naming no file', 'serve --listen 127.0.0.1:0 --cert none.pem --key none.pem', 3,
     r'none\.pem')
conf('conf-desk-max-upload', '[desk] max_upload = 1Q', "printf '[desk]\\nmax_upload = 1Q\\n' >> \"$ST/station.conf\"", CONF + r":[0-9]+:.*max_upload")
conf('conf-desk-listen', '[desk] listen without a port', "printf '[desk]\\nlisten = nowhere\\n' >> \"$ST/station.conf\"", CONF + r":[0-9]+:.*listen")
conf('conf-desk-url', '[desk] url = ftp://...', "printf '[desk]\\nurl = ftp://radio.example\\n' >> \"$ST/station.conf\"", CONF + r":[0-9]+:.*url")
conf('conf-desk-approve', '[desk] approve = maybe', "printf '[desk]\\napprove = maybe\\n' >> \"$ST/station.conf\"", CONF + r":[0-9]+:.*approve")
conf('conf-desk-twice', '[desk] listen set twice', "printf '[desk]\\nlisten = 127.0.0.1:1\\nlisten = 127.0.0.1:2\\n' >> \"$ST/station.conf\"", CONF + r":[0-9]+:.*listen.*twice")
# ---------------- playout, as-run import and the report (issue #16) ----------------
case('air-no-output', 'air with no --output and no outputs in [air]', 'air', 2, r'no output to play to')
case('air-output-not-a-url', 'an output that is neither icecast:// nor alsa:', 'air --output http://radio.example/stream', 2,
     r"http://radio\.example/stream.*not an output")
case('air-output-bad-port', 'an Icecast port over 65535', 'air --output icecast://source:pw@127.0.0.1:99999/radio.ogg', 2, r'port.*65535')
case('air-output-no-mount', 'an Icecast URL without a mount', 'air --output icecast://127.0.0.1:8000', 2, r'no mount point')
case('air-output-twice', 'the same output given twice', 'air --output alsa:default --output alsa:default', 2, r'alsa:default.*twice')
case('air-between-bad', '--between loud', 'air --output alsa:default --between loud', 2, r'between.*silence or nothing')
conf('conf-air-output', '[air] outputs naming an http:// URL', "printf '\\n[air]\\noutputs = http://x/y\\n' >> \"$ST/station.conf\"",
     CONF + r":[0-9]+:.*outputs.*http://x/y")
conf('conf-air-between', '[air] between = sometimes', "printf '\\n[air]\\nbetween = sometimes\\n' >> \"$ST/station.conf\"",
     CONF + r":[0-9]+:.*between")
conf('conf-air-emergency-escape', '[air] emergency outside the station', "printf '\\n[air]\\nemergency = ../../etc/passwd\\n' >> \"$ST/station.conf\"",
     CONF + r":[0-9]+:.*emergency")
conf('conf-air-retry-zero', '[air] retry_max = 0', "printf '\\n[air]\\nretry_max = 0\\n' >> \"$ST/station.conf\"", CONF + r":[0-9]+:.*retry_max")
conf('conf-air-unknown-key', 'a misspelt [air] key', "printf '\\n[air]\\noutptus = alsa:default\\n' >> \"$ST/station.conf\"", CONF + r":[0-9]+:.*outptus")
case('report-from-after-to', 'report with --from after --to', 'report --from 2026-03-20 --to 2026-03-16', 2, r'--from is after --to')
case('limit-report-days', 'a report over more than 400 days', 'report --from 2026-01-01 --to 2027-03-01', 2, r'400')
case('report-unknown-calendar', '--calendar naming a file that is not a station calendar', 'report --from 2026-03-16 --to 2026-03-16 --calendar nosuch.ics',
     1, r"nosuch\.ics.*not one of the station's calendars")
case('report-bad-format', '--format pdf', 'report --from 2026-03-16 --to 2026-03-16 --format pdf', 2, r'html, csv or json')
case('asrun-import-not-a-log', 'a text file that is no Liquidsoap log', 'asrun import notes.txt', 1, r"no chalkwave-asrun lines in 'notes\.txt'",
     files={'notes.txt': 'Monday: maths\nTuesday: english\n'})
case('asrun-import-binary', 'random bytes as a log', 'asrun import garbage.log', 1, r"no chalkwave-asrun lines in 'garbage\.log'",
     setup=['head -c 20000 /dev/urandom > garbage.log'])
case('asrun-import-missing', 'a log that is not there', 'asrun import nowhere.log', 3, r'nowhere\.log')
case('asrun-import-no-verb', 'asrun without import', 'asrun', 2, r'asrun import LOG')
# ---------------- texts for speech (chalkwave speak) ----------------
SPK = 'speak --title "Health news" --language en news.txt'
def spk(name, desc, error, exit=1, cmd=SPK, text=None, **kw):
    files = kw.pop('files', {})
    if text is not None:
        files['news.txt'] = text
    case(name, desc, cmd, exit, error, files=files, **kw)
GOOD = 'The Ministry of Health reminds every family that clean water keeps the children of the village well.\n'
spk('speak-binary', 'a binary file given as the text', r'news\.txt.*(binary data|control character|not UTF-8)',
    text=bytes((i * 131 + 7) % 256 for i in range(3000)))
spk('speak-latin1', 'a text saved as Latin-1 by an old editor: refused naming line 2', r'news\.txt:2: .*not UTF-8 \(byte 0xE9',
    text=b'Good line\nCaf\xe9 au lait pour les enfants.\n')
spk('speak-utf16', 'a text saved as UTF-16 ("Unicode" in Notepad)', r'news\.txt.*UTF-16',
    text='\ufeffHello parents, the school opens on Monday.\n'.encode('utf-16-le'))
spk('speak-nul', 'a NUL byte in the middle of the text', r'news\.txt:2: .*binary data', text=b'Hello parents.\nThe school\x00 opens.\n')
spk('speak-escape-codes', 'terminal colour codes pasted into the text', r'news\.txt:1: .*control character', text=b'\x1b[31mHello\x1b[0m parents.\n')
spk('speak-empty', 'a 0-byte text', r'news\.txt.*empty', text='')
spk('speak-markup-only', 'only blank lines and Markdown markers', r'news\.txt.*nothing to speak', text='\n\n  ** __ **\n---\n| |\n')
spk('speak-too-long', 'a 10 MB text (over [speak] max_chars)', r'big\.txt.*at most 20000 characters',
    cmd='speak --title "Health news" --language en big.txt',
    setup=["python3 -c \"import sys; sys.stdout.write('word ' * (2 * 1024 * 1024))\" > big.txt"])
spk('speak-over-max-chars', 'a text one character over [speak] max_chars = 100', r'news\.txt.*101 characters.*at most 100',
    text='x' * 100 + '.', setup=["sed -i 's/^max_chars = .*//' \"$ST/station.conf\"; printf '[speak]\\nmax_chars = 100\\n' >> \"$ST/station.conf\""])
spk('speak-unknown-language', 'a language code no voice reads', r"news\.txt.*no voice for 'xx'",
    cmd='speak --title "Health news" --language xx news.txt', text=GOOD)
spk('speak-hausa-no-voice', 'Hausa: eSpeak NG has no voice; the close ones are named', r"news\.txt.*no voice for 'ha' \(Hausa\).*in its family",
    cmd='speak --title Labarai --language ha news.txt', text=GOOD)
spk('speak-language-name', 'a language name instead of a code: usage error', r"english.*not a language code",
    exit=2, cmd='speak --title "Health news" --language english news.txt', text=GOOD)
spk('speak-unknown-voice', 'a voice that is not installed', r"news\.txt.*no voice 'robot'",
    cmd='speak --title "Health news" --language en --voice robot news.txt', text=GOOD)
spk('speak-unknown-variant', 'a voice variant that is not installed', r"news\.txt.*no variant 'nosuch'",
    cmd='speak --title "Health news" --language en --voice en-gb+nosuch news.txt', text=GOOD)
spk('speak-no-title', 'no --title: usage error', r'title', exit=2, cmd='speak --language en news.txt', text=GOOD)
spk('speak-too-short', 'one word: shorter than [audio] min_length once spoken', r'news\.txt.*lasts only.*min_length', text='Hi.\n')
spk('speak-folder', 'a folder given as the text', r'folder.*(is a folder|not a text)', cmd='speak --title t --language en folder',
    setup=['mkdir folder'])
spk('speak-fifo', 'a named pipe given as the text (must not hang)', r'pipe.*not a regular file', cmd='speak --title t --language en pipe',
    setup=['mkfifo pipe'])
spk('speak-missing-file', 'a text that is not there', r'nothere\.txt.*no such file', exit=3, cmd='speak --title t --language en nothere.txt')
spk('speak-bad-lexicon', 'speak.lexicon with a line that is not "word = say it"', r'speak\.lexicon:2: line 2: not .word = how to say it',
    text=GOOD, setup=["printf 'Okafor = Oh-kah-for\\nOkafor is said slowly\\n' > \"$ST/speak.lexicon\""])
spk('speak-lexicon-latin1', 'speak.lexicon saved as Latin-1', r'speak\.lexicon:1: line 1: is not UTF-8',
    text=GOOD, setup=["printf 'Caf\\351 = cafay\\n' > \"$ST/speak.lexicon\""])
spk('speak-intro-missing', '[speak] intro names a file that is not there', r"station\.conf.*intro/outro 'jingles/none\.wav'", exit=3,
    text=GOOD, setup=["printf '[speak]\\nintro = jingles/none.wav\\n' >> \"$ST/station.conf\""])
spk('speak-duplicate', 'the same text spoken twice: the second is refused (it is in the library)', r'news\.txt.*already in the library',
    text=GOOD, setup=['cp news.txt first.txt', '"$CW_BINARY" --station "$ST" speak --title First --language en first.txt >/dev/null 2>&1 || true'])
spk('speak-too-long-spoken', 'a text that, spoken, is longer than [audio] max_length (30 s here)', r'news\.txt.*lasts 0:0.*max_length.*split',
    text=GOOD * 6)
conf('conf-speak-unknown-key', '[speak] with a key that does not exist', "printf '[speak]\\nvolume = 3\\n' >> \"$ST/station.conf\"",
     r"station\.conf:[0-9]+:.*unknown key 'volume' in \[speak\]")
conf('conf-speak-bad-speed', '[speak] speed out of range', "printf '[speak]\\nfr.speed = 900\\n' >> \"$ST/station.conf\"",
     r"station\.conf:[0-9]+:.*fr\.speed")
conf('conf-speak-lexicon-escape', '[speak] lexicon outside the station folder', "printf '[speak]\\nlexicon = ../../etc/passwd\\n' >> \"$ST/station.conf\"",
     r"station\.conf:[0-9]+:.*not a file inside the station folder")
# ---------------- texts dropped in the inbox (ingest --inbox speaks them) ----------------
def itxt(name, desc, fname, data, error, **kw):
    q = fname.replace('.', '\\.')
    case(name, desc, 'ingest --inbox', 1, q + r'.*' + error, files={fname: data},
         setup=['cp %s "$ST/inbox/"' % fname],
         check=['test -f "$ST/inbox/rejected/%s"' % fname, 'test -s "$ST/inbox/rejected/%s.reason.txt"' % fname,
                '! test -e "$ST/inbox/%s"' % fname], **kw)
itxt('inbox-text-no-header', 'a text in the inbox with no header and no note: refused saying to add one',
     'notice.txt', GOOD, r"no header and no note.*Kind: newsletter")
itxt('inbox-text-latin1', 'a text in the inbox with a header, saved as Latin-1: refused naming line 4',
     'notice.txt', b'Kind: newsletter\nTitle: Cafe\n\nCaf\xe9 au lait pour les enfants.\n', r'line 4 is not UTF-8 \(byte 0xE9')
itxt('inbox-text-binary', 'a binary file named .txt in the inbox', 'notice.txt',
     bytes((i * 131 + 7) % 256 for i in range(3000)), r'(binary data|control character|not UTF-8)')
itxt('inbox-text-bad-episode', 'a text whose header says Episode: 1000', 'notice.md',
     'Kind: newsletter\nTitle: Notice\nEpisode: 1000\n\n' + GOOD, r'(episode|Episode)')
itxt('inbox-text-unknown-language', 'a text whose header names a language no voice reads', 'notice.md',
     'Title: Notice\nLanguage: xx\n\n' + GOOD, r"no voice for 'xx'")

#!/usr/bin/python3
"""make_inputs.py — writes the generated input files of the bad-input corpus
(tests/badinput/cases/*/) from code, so every damaged file is reproducible and small.
Run from anywhere: /usr/bin/python3 tests/badinput/make_inputs.py. Needs sox and ffmpeg
for the few real encodings it damages. Deterministic: the same files every run."""
import math, os, struct, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, 'cases')

def put(case, name, data):
    d = os.path.join(CASES, case)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)

def wav(frames, rate=8000, channels=1, fmt='pcm16', data_size=None, extra=b''):
    """RIFF/WAVE from a list of per-frame tuples (floats in [-1, 1] or raw values)."""
    if fmt == 'pcm16':
        body = b''.join(struct.pack('<%dh' % channels, *[max(-32768, min(32767, int(v * 32767))) for v in f]) for f in frames)
        tag, bits = 1, 16
    else:
        body = b''.join(struct.pack('<%df' % channels, *f) for f in frames)
        tag, bits = 3, 32
    ba = channels * bits // 8
    fmtc = struct.pack('<HHIIHH', tag, channels, rate, rate * ba, ba, bits)
    ds = len(body) if data_size is None else data_size
    riff = b'WAVE' + b'fmt ' + struct.pack('<I', len(fmtc)) + fmtc + extra + b'data' + struct.pack('<I', ds) + body
    return b'RIFF' + struct.pack('<I', min(len(riff), 0xffffffff)) + riff

def tone(seconds, rate=8000, channels=1, amp=0.3, freq=440.0):
    n = int(seconds * rate)
    return [tuple([amp * math.sin(2 * math.pi * freq * i / rate)] * channels) for i in range(n)]

def sh(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def main():
    tmp = tempfile.mkdtemp()
    good = os.path.join(tmp, 'good.wav')
    with open(good, 'wb') as f:
        f.write(wav(tone(1.5)))
    # --- audio ---
    put('audio-zero-bytes', 'lesson.wav', b'')
    put('audio-text-named-wav', 'lesson.wav', b'Dear teacher,\nplease record the lesson again.\n' * 20)
    put('audio-random-bytes', 'lesson.wav', bytes((i * 7919 + 13) % 251 for i in range(6000)))
    w = wav(tone(1.5))
    put('audio-wav-truncated', 'lesson.wav', w[:len(w) // 3])
    put('audio-wav-header-claims-more', 'lesson.wav', wav(tone(1.5), data_size=10 * 8000 * 2))
    put('audio-wav-huge-data-size', 'lesson.wav', wav(tone(1), data_size=0xfffffff0))
    put('audio-wav-nan', 'lesson.wav', wav([(float('nan'),) if i % 100 == 0 else f for i, f in enumerate(tone(1.5))], fmt='float'))
    put('audio-wav-inf', 'lesson.wav', wav([(float('inf'),) if i == 5000 else f for i, f in enumerate(tone(1.5))], fmt='float'))
    put('audio-one-sample', 'lesson.wav', wav([(0.5,)]))
    put('audio-too-short', 'lesson.wav', wav(tone(0.5)))
    put('audio-digital-silence', 'lesson.wav', wav([(0.0,)] * 8000 * 2))
    put('audio-near-silence', 'lesson.wav', wav([((((i * 1103515245 + 12345) >> 8) % 100 - 50) / 5e6,) for i in range(8000 * 2)]))
    put('audio-rate-too-low', 'lesson.wav', wav(tone(1.5, rate=4000), rate=4000))
    put('audio-sixteen-channels', 'lesson.wav', wav(tone(0.2, rate=8000, channels=16), channels=16))
    put('audio-bad-fmt-chunk', 'lesson.wav', b'RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00' + b'\xff' * 16 + b'data\x00\x00\x00\x00')
    put('audio-zero-channels', 'lesson.wav', wav(tone(1))[:22] + b'\x00\x00' + wav(tone(1))[24:])
    put('audio-zero-rate', 'lesson.wav', wav(tone(1))[:24] + b'\x00\x00\x00\x00' + wav(tone(1))[28:])
    # real encodings, then damaged
    flac = os.path.join(tmp, 'x.flac')
    sh('sox', good, flac)
    d = open(flac, 'rb').read()
    put('audio-flac-truncated', 'lesson.flac', d[:len(d) // 2])
    d2 = bytearray(d); d2[len(d2) // 2: len(d2) // 2 + 200] = bytes(200)
    put('audio-flac-corrupt-frames', 'lesson.flac', bytes(d2))
    mp3 = os.path.join(tmp, 'x.mp3')
    sh('ffmpeg', '-v', 'quiet', '-y', '-i', good, '-c:a', 'libmp3lame', '-b:a', '32k', mp3)
    d = open(mp3, 'rb').read()
    put('audio-mp3-garbage', 'lesson.mp3', b'ID3\x04\x00\x00\x00\x00\x00\x00' + bytes((i * 31) % 256 for i in range(4000)))
    ogg = os.path.join(tmp, 'x.ogg')
    sh('oggenc', '-Q', '-q0', '--serial', '1234', good, '-o', ogg)
    d = bytearray(open(ogg, 'rb').read())
    i = d.find(b'OggS', 4000)
    d[i + 30: i + 60] = bytes(30)  # damage page body: checksum mismatch
    put('audio-ogg-bad-crc', 'lesson.ogg', bytes(d))
    d = open(ogg, 'rb').read()
    put('audio-ogg-headers-only', 'lesson.ogg', d[:d.find(b'OggS', d.find(b'OggS', 60) + 4)])
    m4a = os.path.join(tmp, 'x.m4a')
    sh('ffmpeg', '-v', 'quiet', '-y', '-i', good, '-c:a', 'aac', '-b:a', '24k', m4a)
    d = open(m4a, 'rb').read()
    put('audio-m4a-no-moov', 'lesson.m4a', d[:d.find(b'moov') - 4])  # the phone stopped before its index
    wma = os.path.join(tmp, 'x.wma')
    sh('ffmpeg', '-v', 'quiet', '-y', '-i', good, '-c:a', 'wmav2', '-b:a', '32k', wma)
    d = open(wma, 'rb').read()
    put('audio-wma-truncated', 'lesson.wma', d[:len(d) // 2])
    # phone formats and videos (issue #12): damaged as they arrive from phones and copies
    def ff(*args):
        sh('ffmpeg', '-v', 'quiet', '-y', *args)
    def rnd(n, seed):
        x = seed
        out = bytearray()
        for _ in range(n):
            x = (x * 1103515245 + 12345) & 0x7fffffff
            out.append(x >> 16 & 0xff)
        return bytes(out)
    def box_payload(d, name):
        o = 0
        while o + 8 <= len(d):
            n, t = struct.unpack('>I4s', d[o:o + 8])
            if t == name:
                return o + 8
            o += n
        return len(d)
    fast = os.path.join(tmp, 'fast.m4a')
    ff('-i', good, '-c:a', 'aac', '-b:a', '24k', '-movflags', '+faststart', fast)
    d = open(fast, 'rb').read()
    put('audio-m4a-truncated', 'lesson.m4a', d[:len(d) // 2])
    k = box_payload(d, b'mdat')
    put('audio-m4a-random-after-header', 'lesson.m4a', d[:k] + rnd(len(d) - k, 5))
    vid = os.path.join(tmp, 'silent.mp4')
    ff('-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=5', '-t', '1', '-c:v', 'libx264', '-preset', 'ultrafast', vid)
    put('audio-video-no-sound', 'lesson.mp4', open(vid, 'rb').read())
    webm = os.path.join(tmp, 'x.webm')
    ff('-i', good, '-c:a', 'libopus', '-b:a', '16k', webm)
    d = open(webm, 'rb').read()
    put('audio-webm-truncated', 'lesson.webm', d[:len(d) // 2])
    oga = os.path.join(tmp, 'x.oga')
    ff('-i', good, '-c:a', 'libopus', '-b:a', '16k', oga)
    d = open(oga, 'rb').read()
    put('audio-oga-truncated', 'lesson.oga', d[:len(d) * 2 // 3])
    adts = os.path.join(tmp, 'x.aac')
    ff('-i', good, '-c:a', 'aac', '-b:a', '24k', '-f', 'adts', adts)
    d = open(adts, 'rb').read()
    n = len(d) // 2
    while d[n:n + 2] == b'\xff\xf1':  # not at a frame boundary
        n += 1
    put('audio-aac-cut-inside-frame', 'lesson.aac', d[:n + 3])
    put('audio-amr-random-frames', 'lesson.amr', b'#!AMR\n' + rnd(3000, 9))
    put('audio-pdf-named-m4a', 'lesson.m4a', b'%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n' + rnd(400, 3))
    caf = os.path.join(tmp, 'x.caf')
    ff('-i', good, '-c:a', 'alac', caf)
    d = open(caf, 'rb').read()
    put('audio-caf-truncated', 'lesson.caf', d[:len(d) // 2])
    # --- good recordings the cases copy ($COMMON/...) ---
    os.makedirs(os.path.join(HERE, 'common'), exist_ok=True)
    for name, freq in (('tone.wav', 440.0), ('tone2.wav', 550.0)):
        with open(os.path.join(HERE, 'common', name), 'wb') as f:
            f.write(wav(tone(1.5, freq=freq)))
    # --- calendars ---
    put('calendar-binary-garbage', 'partner.ics', bytes((i * 131 + 7) % 256 for i in range(3000)))
    put('calendar-nul-bytes', 'partner.ics', b'BEGIN:VCALENDAR\r\nVERSION:2.0\r\n\x00\x00\x00BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260316T070000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n')
    put('calendar-utf16', 'partner.ics', 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260316T070000Z\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n'.encode('utf-16'))
    put('calendar-png', 'partner.ics', b'\x89PNG\r\n\x1a\n' + bytes(200))

if __name__ == '__main__':
    main()

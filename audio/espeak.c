/* espeak.c — speech synthesis with libespeak-ng: the installed voices, voice lookup, and
 * text (SSML) rendered to 16-bit mono samples streamed to the caller, or to phonemes.
 * Every synthesis runs in a child process of its own: eSpeak NG 1.51 keeps its synthesis
 * state in globals (wave phase, pitch flutter, sample counters), so a second rendering of the
 * same text in one process gives different samples, espeak_ng_Terminate cannot be followed
 * by a new espeak_ng_Initialize, and espeak_ng_Initialize changes the process's LC_CTYPE.
 * The parent only lists voice files (espeak_ListVoices: file reading, no synthesis state).
 * The child is a fork of this process, or — once cw_tts_use_helper has named an executable —
 * that executable run afresh (posix_spawn) with the job on its standard input: a fork of a
 * process whose other threads hold a lock (the desk's HTTP threads, ingest workers, a
 * sanitizer's allocator) can leave the child waiting forever on that lock, a new program
 * cannot. Both give the same samples.
 * Guarantees: the same SSML, voice, speed and pitch give the same samples in any process,
 * any number of times; nothing of eSpeak NG reaches the terminal (the child's stdin, stdout
 * and stderr are /dev/null); a crash inside eSpeak NG is a refusal, never a crash of ours;
 * memory does not grow with the length of the speech (the pipe carries fixed blocks, the
 * child blocks while the reader is behind). */
#include "audio_int.h"

#include <errno.h>
#include <dlfcn.h>
#include <espeak-ng/espeak_ng.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define TTS_MAGIC 0x53545743u /* "CWTS" */
#define BUF_MS 200            /* eSpeak NG hands over this much audio per callback */
#define PHONEMES_MAX (64u << 20)

/* Exit codes of the child (and the header status it sends). */
enum { CHILD_OK = 0, CHILD_INIT = 10, CHILD_VOICE = 11, CHILD_SYNTH = 12, CHILD_PIPE = 13,
       CHILD_JOB = 14, CHILD_EXEC = 127 };

#define JOB_MAGIC 0x4a575743u /* "CWJJ": a job sent to a helper process */
#define JOB_TEXT_MAX (64u << 20)

/* The executable that renders speech (cw_tts_use_helper); empty: fork this process. */
static char helper_exe[4096];
static char helper_arg[64];

/* eSpeak NG's voice list and path are globals: one thread at a time, and never a fork
 * while another thread is inside eSpeak NG (the child would inherit a half-made list). */
static pthread_mutex_t tts_mu = PTHREAD_MUTEX_INITIALIZER;
static int path_done;

/* libespeak-ng is opened (dlopen) the first time speech or the voice list is needed, not
 * linked: through libpcaudio it brings PulseAudio, cairo and X11 libraries into every
 * process, and `air`, which never speaks, grew by them. */
static struct {
    __typeof__(espeak_ng_InitializePath) *InitializePath;
    __typeof__(espeak_ListVoices) *ListVoices;
    __typeof__(espeak_ng_Initialize) *Initialize;
    __typeof__(espeak_ng_InitializeOutput) *InitializeOutput;
    __typeof__(espeak_ng_SetVoiceByName) *SetVoiceByName;
    __typeof__(espeak_ng_SetParameter) *SetParameter;
    __typeof__(espeak_SetSynthCallback) *SetSynthCallback;
    __typeof__(espeak_SetPhonemeTrace) *SetPhonemeTrace;
    __typeof__(espeak_ng_Synthesize) *Synthesize;
    __typeof__(espeak_ng_GetSampleRate) *GetSampleRate;
} es;
#define espeak_ng_InitializePath es.InitializePath
#define espeak_ListVoices es.ListVoices
#define espeak_ng_Initialize es.Initialize
#define espeak_ng_InitializeOutput es.InitializeOutput
#define espeak_ng_SetVoiceByName es.SetVoiceByName
#define espeak_ng_SetParameter es.SetParameter
#define espeak_SetSynthCallback es.SetSynthCallback
#define espeak_SetPhonemeTrace es.SetPhonemeTrace
#define espeak_ng_Synthesize es.Synthesize
#define espeak_ng_GetSampleRate es.GetSampleRate

static pthread_once_t es_once = PTHREAD_ONCE_INIT;
static char es_error[400]; /* "" once loaded */

static void es_load(void)
{
    void *h = dlopen("libespeak-ng.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(es_error, sizeof es_error, "the speech synthesiser cannot be loaded (%.200s): install "
                 "Debian's libespeak-ng1 and espeak-ng-data (scripts/setup.sh does)", e ? e : "libespeak-ng.so.1");
        return;
    }
    static const char *const names[] = {"espeak_ng_InitializePath", "espeak_ListVoices", "espeak_ng_Initialize",
                                        "espeak_ng_InitializeOutput", "espeak_ng_SetVoiceByName",
                                        "espeak_ng_SetParameter", "espeak_SetSynthCallback",
                                        "espeak_SetPhonemeTrace", "espeak_ng_Synthesize", "espeak_ng_GetSampleRate"};
    void **slots[] = {(void **)&es.InitializePath, (void **)&es.ListVoices, (void **)&es.Initialize,
                      (void **)&es.InitializeOutput, (void **)&es.SetVoiceByName, (void **)&es.SetParameter,
                      (void **)&es.SetSynthCallback, (void **)&es.SetPhonemeTrace, (void **)&es.Synthesize,
                      (void **)&es.GetSampleRate};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!(*slots[i] = dlsym(h, names[i]))) {
            snprintf(es_error, sizeof es_error, "the installed libespeak-ng has no %s (eSpeak NG 1.50 or "
                     "newer is needed)", names[i]);
            return;
        }
}

/* Load eSpeak NG and set its data folder once; 0, or -1 with es_error saying why. */
static int tts_path_locked(void)
{
    pthread_once(&es_once, es_load);
    if (es_error[0])
        return -1;
    if (!path_done) {
        espeak_ng_InitializePath(NULL); /* the data folder; ESPEAK_DATA_PATH overrides */
        path_done = 1;
    }
    return 0;
}

/* ---- voices -------------------------------------------------------------------------- */

static void copy_name(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
    for (char *p = dst; *p; p++)
        if (*p == '_')
            *p = ' ';
}

/* The languages of an espeak_VOICE: a list of (priority byte, NUL-terminated name), ended
 * by a zero priority byte. */
static void voice_languages(const espeak_VOICE *ev, char *out, size_t cap, char *first, size_t fcap)
{
    size_t n = 0;
    out[0] = 0;
    first[0] = 0;
    for (const char *p = ev->languages; p && *p;) {
        const char *name = p + 1;
        if (!first[0])
            snprintf(first, fcap, "%s", name);
        int w = snprintf(out + n, cap - n, "%s%s", n ? " " : "", name);
        if (w < 0 || (size_t)w >= cap - n)
            break;
        n += (size_t)w;
        p = name + strlen(name) + 1;
    }
}

static int usable(const espeak_VOICE *ev)
{
    /* mbrola voices need the separate mbrola program and its voice files; "!v/" are
     * variants (a timbre applied to a voice), listed on their own */
    return ev->identifier && strncmp(ev->identifier, "mb/", 3) && strncmp(ev->identifier, "!v/", 3);
}

static int cmp_voice(const void *a, const void *b)
{
    const cw_voice *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->id, y->id);
}

int cw_tts_voices(cw_voices *out, cw_error *err)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&tts_mu);
    if (tts_path_locked()) {
        pthread_mutex_unlock(&tts_mu);
        return cw_fail(err, CW_EIO, "", 0, "%s", es_error);
    }
    const espeak_VOICE **list = espeak_ListVoices(NULL);
    size_t n = 0;
    for (size_t i = 0; list && list[i]; i++)
        n += usable(list[i]);
    cw_voice *v = n ? calloc(n, sizeof *v) : NULL;
    if (n && !v) {
        pthread_mutex_unlock(&tts_mu);
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    size_t k = 0;
    for (size_t i = 0; list && list[i] && k < n; i++) {
        const espeak_VOICE *ev = list[i];
        if (!usable(ev))
            continue;
        cw_voice *cv = &v[k++];
        snprintf(cv->id, sizeof cv->id, "%s", ev->identifier);
        copy_name(cv->title, sizeof cv->title, ev->name);
        voice_languages(ev, cv->languages, sizeof cv->languages, cv->name, sizeof cv->name);
        const char *slash = strchr(cv->id, '/');
        if (slash && (size_t)(slash - cv->id) < sizeof cv->family)
            snprintf(cv->family, sizeof cv->family, "%.*s", (int)(slash - cv->id), cv->id);
        cv->gender = ev->gender;
    }
    /* eSpeak NG variants: "!v/f3" is used as "VOICE+f3" */
    espeak_VOICE spec;
    memset(&spec, 0, sizeof spec);
    spec.languages = "variant";
    const espeak_VOICE **vars = espeak_ListVoices(&spec);
    int rc = 0;
    for (size_t i = 0; vars && vars[i]; i++)
        if (vars[i]->identifier && !strncmp(vars[i]->identifier, "!v/", 3) &&
            cw_strlist_push(&out->variants, vars[i]->identifier + 3))
            rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    pthread_mutex_unlock(&tts_mu);
    /* a language code shared by two voices (yue) names them by file instead */
    if (k)
        qsort(v, k, sizeof *v, cmp_voice);
    for (size_t i = 0; i + 1 < k; i++)
        if (!strcmp(v[i].name, v[i + 1].name)) {
            size_t j = i + 1;
            while (j + 1 < k && !strcmp(v[j + 1].name, v[i].name))
                j++;
            for (size_t m = i; m <= j; m++)
                snprintf(v[m].name, sizeof v[m].name, "%s", v[m].id);
            i = j;
        }
    if (k)
        qsort(v, k, sizeof *v, cmp_voice);
    cw_strlist_sort(&out->variants);
    out->v = v;
    out->n = k;
    if (rc)
        cw_voices_free(out);
    return rc;
}

void cw_voices_free(cw_voices *vs)
{
    if (!vs)
        return;
    free(vs->v);
    cw_strlist_free(&vs->variants);
    memset(vs, 0, sizeof *vs);
}

static int same_name(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a == '_' ? ' ' : *a, y = *b == '_' ? ' ' : *b;
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return 0;
    }
    return *a == *b;
}

const cw_voice *cw_tts_find_voice(const cw_voices *vs, const char *name)
{
    for (size_t i = 0; i < vs->n; i++)
        if (same_name(vs->v[i].name, name) || same_name(vs->v[i].id, name))
            return &vs->v[i];
    for (size_t i = 0; i < vs->n; i++)
        if (same_name(vs->v[i].title, name))
            return &vs->v[i];
    return NULL;
}

const cw_voice *cw_tts_voice_for_language(const cw_voices *vs, const char *language)
{
    if (!language || !*language || strlen(language) > 40)
        return NULL;
    /* eSpeak NG's own matching (espeak_ListVoices with a language): exact, then a longer
     * or shorter tag ("fr-ca" gets French (France)), best priority first */
    char lang[48];
    size_t n = 0;
    for (const char *p = language; *p && n + 1 < sizeof lang; p++)
        lang[n++] = *p == '_' ? '-' : (char)((*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
    lang[n] = 0;
    espeak_VOICE spec;
    memset(&spec, 0, sizeof spec);
    spec.languages = lang;
    const cw_voice *best = NULL;
    pthread_mutex_lock(&tts_mu);
    if (tts_path_locked()) {
        pthread_mutex_unlock(&tts_mu);
        return NULL; /* cw_tts_voices says why */
    }
    const espeak_VOICE **list = espeak_ListVoices(&spec);
    for (size_t i = 0; list && list[i] && !best; i++) {
        if (!usable(list[i]))
            continue;
        for (size_t k = 0; k < vs->n && !best; k++)
            if (!strcmp(vs->v[k].id, list[i]->identifier))
                best = &vs->v[k];
    }
    pthread_mutex_unlock(&tts_mu);
    return best;
}

/* ---- the child: one synthesis --------------------------------------------------------- */

typedef struct child_job {
    const char *text;
    size_t len;
    const cw_tts_params *p;
    int fd;       /* write end of the pipe */
    int phonemes; /* 1: write phonemes, not audio */
} child_job;

static int child_fd = -1;

static int write_all(int fd, const void *data, size_t n)
{
    const char *p = data;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int child_audio(short *wav, int n, espeak_EVENT *ev)
{
    (void)ev;
    if (wav && n > 0 && write_all(child_fd, wav, (size_t)n * sizeof(short)))
        return 1; /* the reader went away: stop */
    return 0;
}

static int child_silent(short *wav, int n, espeak_EVENT *ev)
{
    (void)wav;
    (void)n;
    (void)ev;
    return 0;
}

static void child_header(int fd, int32_t rate)
{
    uint32_t h[2] = {TTS_MAGIC, (uint32_t)rate};
    (void)write_all(fd, h, sizeof h);
}

/* Runs in the forked child; never returns. */
static void child_main(const child_job *j)
{
    signal(SIGPIPE, SIG_IGN);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        if (null > 2)
            close(null);
    }
    /* only the pipe stays open: an inherited read end of another rendering's pipe would
     * keep that one from seeing its reader go */
    if (j->fd > 3)
        close_range(3, (unsigned)j->fd - 1, 0);
    close_range((unsigned)j->fd + 1, ~0u, 0);
    child_fd = j->fd;
    srand(1); /* klatt variants draw noise from rand() */
    espeak_ng_ERROR_CONTEXT ctx = NULL;
    if (espeak_ng_Initialize(&ctx) != ENS_OK)
        _exit(CHILD_INIT);
    espeak_ng_InitializeOutput(ENOUTPUT_MODE_SYNCHRONOUS, BUF_MS, NULL);
    if (espeak_ng_SetVoiceByName(j->p->voice) != ENS_OK)
        _exit(CHILD_VOICE);
    espeak_ng_SetParameter(espeakRATE, j->p->speed, 0);
    espeak_ng_SetParameter(espeakPITCH, j->p->pitch, 0);
    FILE *trace = NULL;
    if (j->phonemes) {
        espeak_SetSynthCallback(child_silent);
        trace = fdopen(j->fd, "w");
        if (!trace)
            _exit(CHILD_PIPE);
        espeak_SetPhonemeTrace(espeakPHONEMES_SHOW, trace);
    } else {
        espeak_SetSynthCallback(child_audio);
        child_header(j->fd, espeak_ng_GetSampleRate());
    }
    espeak_ng_STATUS s = espeak_ng_Synthesize(j->text, j->len + 1, 0, POS_CHARACTER, 0,
                                              espeakCHARS_UTF8 | espeakSSML | espeakPHONEMES,
                                              NULL, NULL);
    if (trace && fflush(trace) != 0)
        _exit(CHILD_PIPE);
    _exit(s == ENS_OK ? CHILD_OK : s == ENS_SPEECH_STOPPED ? CHILD_PIPE : CHILD_SYNTH);
}

static int params_ok(const cw_tts_params *p, cw_error *err)
{
    if (!p->voice || !*p->voice || strlen(p->voice) > 120)
        return cw_fail(err, CW_EINVAL, "", 0, "no voice given for the speech");
    if (p->speed < espeakRATE_MINIMUM || p->speed > espeakRATE_MAXIMUM || p->pitch < 0 ||
        p->pitch > 99)
        return cw_fail(err, CW_EINVAL, "", 0, "speed %d or pitch %d out of range (speed %d to "
                       "%d words a minute, pitch 0 to 99)", p->speed, p->pitch,
                       espeakRATE_MINIMUM, espeakRATE_MAXIMUM);
    return 0;
}

static ssize_t read_full(int fd, void *buf, size_t n);
static int reap(pid_t pid, const char *voice, cw_error *err);

/* ---- the helper process ------------------------------------------------------------------ */

void cw_tts_use_helper(const char *exe, const char *arg)
{
    if (!exe || !arg || strlen(exe) >= sizeof helper_exe || strlen(arg) >= sizeof helper_arg) {
        helper_exe[0] = 0;
        return;
    }
    snprintf(helper_exe, sizeof helper_exe, "%s", exe);
    snprintf(helper_arg, sizeof helper_arg, "%s", arg);
}

/* The job as the helper reads it: magic, phonemes, speed, pitch, voice length, text length
 * (32-bit each), then the voice and the text. */
typedef struct job_head {
    uint32_t magic, phonemes;
    int32_t speed, pitch;
    uint32_t voice_len, text_len;
} job_head;

static int send_all(int fd, const void *data, size_t n)
{
    const char *p = data;
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Start helper_exe with the job on its standard input (a socket, so that a helper gone
 * early is an error here, never a SIGPIPE) and its standard output as *fd_out. */
static int spawn_helper(const char *text, size_t len, const cw_tts_params *p, int phonemes,
                        pid_t *pid_out, int *fd_out, cw_error *err)
{
    if (len > JOB_TEXT_MAX)
        return cw_fail(err, CW_ELIMIT, "", 0, "the text to speak is larger than %u MB",
                       JOB_TEXT_MAX >> 20);
    int in[2], out[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0)
        return cw_fail(err, CW_EIO, "", 0, "cannot start the speech synthesiser: %s", strerror(errno));
    if (pipe2(out, O_CLOEXEC) != 0) {
        int e = errno;
        close(in[0]);
        close(in[1]);
        return cw_fail(err, CW_EIO, "", 0, "cannot start the speech synthesiser: %s", strerror(e));
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[1], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    char *args[] = {helper_exe, helper_arg, NULL};
    pid_t pid;
    int e = posix_spawn(&pid, helper_exe, &fa, NULL, args, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[1]);
    close(out[1]);
    if (e != 0) {
        close(in[0]);
        close(out[0]);
        return cw_fail(err, CW_EIO, "", 0, "cannot start the speech synthesiser (%s): %s",
                       helper_exe, strerror(e));
    }
    size_t vl = strlen(p->voice ? p->voice : "");
    job_head h = {JOB_MAGIC, (uint32_t)phonemes, p->speed, p->pitch, (uint32_t)vl, (uint32_t)len};
    /* the helper reads the whole job before it writes: no deadlock on a long text */
    int bad = send_all(in[0], &h, sizeof h) || send_all(in[0], p->voice ? p->voice : "", vl) ||
              send_all(in[0], text, len);
    close(in[0]);
    if (bad) {
        close(out[0]);
        int rc = reap(pid, p->voice, err);
        return rc ? rc : cw_fail(err, CW_EIO, "", 0, "the speech synthesiser did not take the text");
    }
    *pid_out = pid;
    *fd_out = out[0];
    return 0;
}

int cw_tts_helper_main(void)
{
    job_head h;
    if (read_full(STDIN_FILENO, &h, sizeof h) != (ssize_t)sizeof h || h.magic != JOB_MAGIC ||
        h.voice_len > 120 || h.text_len > JOB_TEXT_MAX || h.phonemes > 1)
        return CHILD_JOB;
    char voice[128];
    char *text = malloc((size_t)h.text_len + 1);
    if (!text || read_full(STDIN_FILENO, voice, h.voice_len) != (ssize_t)h.voice_len ||
        read_full(STDIN_FILENO, text, h.text_len) != (ssize_t)h.text_len)
        return CHILD_JOB;
    voice[h.voice_len] = 0;
    text[h.text_len] = 0;
    cw_tts_params p = {.voice = voice, .speed = h.speed, .pitch = h.pitch};
    /* the output moves off fd 1, which child_main points at /dev/null like the others */
    int fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
        return CHILD_PIPE;
    if (tts_path_locked())
        return CHILD_INIT;
    child_job j = {.text = text, .len = h.text_len, .p = &p, .fd = fd, .phonemes = (int)h.phonemes};
    child_main(&j);
    return CHILD_SYNTH; /* not reached */
}

/* Fork a child for j (text must be NUL-terminated at len). *fd_out is the read end. */
static int spawn(const char *text, size_t len, const cw_tts_params *p, int phonemes,
                 pid_t *pid_out, int *fd_out, cw_error *err)
{
    int rc = params_ok(p, err);
    if (rc)
        return rc;
    if (text[len] != 0 || memchr(text, 0, len))
        return cw_fail(err, CW_EINVAL, "", 0, "the text to speak contains a NUL byte");
    if (helper_exe[0])
        return spawn_helper(text, len, p, phonemes, pid_out, fd_out, err);
    int fds[2];
    pthread_mutex_lock(&tts_mu);
    if (tts_path_locked()) {
        pthread_mutex_unlock(&tts_mu);
        return cw_fail(err, CW_EIO, "", 0, "%s", es_error);
    }
    if (pipe2(fds, O_CLOEXEC) != 0) {
        int e = errno;
        pthread_mutex_unlock(&tts_mu);
        return cw_fail(err, CW_EIO, "", 0, "cannot start the speech synthesiser: %s", strerror(e));
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        child_job j = {.text = text, .len = len, .p = p, .fd = fds[1], .phonemes = phonemes};
        child_main(&j);
    }
    int e = errno;
    close(fds[1]);
    pthread_mutex_unlock(&tts_mu);
    if (pid < 0) {
        close(fds[0]);
        return cw_fail(err, CW_EIO, "", 0, "cannot start the speech synthesiser: %s", strerror(e));
    }
    *pid_out = pid;
    *fd_out = fds[0];
    return 0;
}

static ssize_t read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* Wait for the child; a failure is a sentence. */
static int reap(pid_t pid, const char *voice, cw_error *err)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return cw_fail(err, CW_EINTERNAL, "", 0, "lost the speech synthesiser: %s",
                           strerror(errno));
    }
    if (WIFSIGNALED(status))
        return cw_fail(err, CW_EINVAL, "", 0, "the speech synthesiser (eSpeak NG) crashed on "
                       "this text (signal %d); simplify the text or report it",
                       WTERMSIG(status));
    switch (WEXITSTATUS(status)) {
    case CHILD_OK:
        return 0;
    case CHILD_INIT:
        return cw_fail(err, CW_EIO, "", 0, "the speech synthesiser cannot start: its data is "
                       "missing (install espeak-ng-data)");
    case CHILD_VOICE:
        return cw_fail(err, CW_EINVAL, "", 0, "eSpeak NG has no voice '%s' (see 'chalkwave "
                       "speak --list-voices')", voice);
    case CHILD_PIPE:
        return cw_fail(err, CW_EIO, "", 0, "the speech synthesiser stopped early");
    case CHILD_JOB:
        return cw_fail(err, CW_EINTERNAL, "", 0, "the speech synthesiser (%s %s) did not "
                       "understand its job: is it the same version of chalkwave?", helper_exe,
                       helper_arg);
    case CHILD_EXEC:
        return cw_fail(err, CW_EIO, "", 0, "cannot start the speech synthesiser (%s)", helper_exe);
    default:
        return cw_fail(err, CW_EINVAL, "", 0, "the speech synthesiser (eSpeak NG) failed on "
                       "this text (exit %d)", WEXITSTATUS(status));
    }
}

/* ---- streaming ------------------------------------------------------------------------ */

struct cw_tts {
    pid_t pid;
    int fd;
    int rate;
    int ended;
    char voice[128];
    unsigned char carry; /* an odd byte left from the last read */
    int has_carry;
    int16_t *raw;
    size_t raw_cap;
};

int cw_tts_open(cw_tts **out, const char *ssml, size_t len, const cw_tts_params *p,
                cw_error *err)
{
    *out = NULL;
    cw_tts *t = calloc(1, sizeof *t);
    if (!t)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    t->fd = -1;
    snprintf(t->voice, sizeof t->voice, "%s", p->voice ? p->voice : "");
    int rc = spawn(ssml, len, p, 0, &t->pid, &t->fd, err);
    if (rc) {
        free(t);
        return rc;
    }
    uint32_t h[2];
    ssize_t r = read_full(t->fd, h, sizeof h);
    if (r != (ssize_t)sizeof h || h[0] != TTS_MAGIC || (int32_t)h[1] <= 0) {
        close(t->fd);
        t->fd = -1;
        rc = reap(t->pid, t->voice, err);
        free(t);
        return rc ? rc : cw_fail(err, CW_EINTERNAL, "", 0, "the speech synthesiser sent no "
                                 "audio");
    }
    t->rate = (int)h[1];
    *out = t;
    return 0;
}

int cw_tts_rate(const cw_tts *t)
{
    return t->rate;
}

int cw_tts_read(cw_tts *t, float *buf, size_t frames, size_t *got, cw_error *err)
{
    *got = 0;
    if (t->ended || frames == 0)
        return 0;
    if (t->raw_cap < frames) {
        int16_t *nr = realloc(t->raw, frames * sizeof *nr);
        if (!nr)
            return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        t->raw = nr;
        t->raw_cap = frames;
    }
    unsigned char *bytes = (unsigned char *)t->raw;
    size_t have = 0;
    if (t->has_carry) {
        bytes[0] = t->carry;
        have = 1;
        t->has_carry = 0;
    }
    ssize_t r = read_full(t->fd, bytes + have, frames * 2 - have);
    if (r < 0)
        return cw_fail(err, CW_EIO, "", 0, "cannot read from the speech synthesiser: %s",
                       strerror(errno));
    have += (size_t)r;
    if (have < frames * 2) {
        /* the end: the child must have finished cleanly */
        close(t->fd);
        t->fd = -1;
        t->ended = 1;
        int rc = reap(t->pid, t->voice, err);
        t->pid = 0;
        if (rc)
            return rc;
    }
    size_t n = have / 2;
    if (have % 2 && !t->ended) {
        t->carry = bytes[have - 1];
        t->has_carry = 1;
    }
    for (size_t i = 0; i < n; i++)
        buf[i] = (float)t->raw[i] * (1.0f / 32768.0f);
    *got = n;
    return 0;
}

void cw_tts_close(cw_tts *t)
{
    if (!t)
        return;
    if (t->fd >= 0)
        close(t->fd);
    if (t->pid > 0) {
        kill(t->pid, SIGKILL);
        while (waitpid(t->pid, NULL, 0) < 0 && errno == EINTR) {
        }
    }
    free(t->raw);
    free(t);
}

/* ---- phonemes -------------------------------------------------------------------------- */

int cw_tts_phonemes(const char *ssml, size_t len, const cw_tts_params *p, cw_buf *out,
                    cw_error *err)
{
    pid_t pid;
    int fd;
    int rc = spawn(ssml, len, p, 1, &pid, &fd, err);
    if (rc)
        return rc;
    char chunk[4096];
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (out->len + (size_t)r > PHONEMES_MAX) {
            rc = cw_fail(err, CW_ELIMIT, "", 0, "the phonemes of this text are larger than "
                         "%u MB", PHONEMES_MAX >> 20);
            kill(pid, SIGKILL);
            break;
        }
        cw_buf_append(out, chunk, (size_t)r);
    }
    close(fd);
    int rrc = reap(pid, p->voice, err);
    if (!rc)
        rc = rrc;
    if (!rc && out->oom)
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    return rc;
}

/* replay_main.c — runs every file of a fuzz corpus through a libFuzzer target in an
 * ordinary (gcc, no libFuzzer) build, so the normal test suite exercises every parser with
 * every input a fuzzer ever found interesting or crashing.
 * Guarantees: exits 0 only when at least one input ran and none crashed; each input is
 * handed over in its own exact-size heap buffer so sanitizers and valgrind see overreads. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static long ran;

static int run_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "replay: cannot open '%s'\n", path);
        return -1;
    }
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            unsigned char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, fp);
        if (r == 0) break;
        n += r;
    }
    fclose(fp);
    if (!buf) {
        fprintf(stderr, "replay: out of memory reading '%s'\n", path);
        return -1;
    }
    /* exact-size copy: a read one past the end is caught by ASan/valgrind */
    unsigned char *exact = malloc(n ? n : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    ran++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: '%s' does not exist\n", path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) return run_file(path);
    DIR *d = opendir(path);
    if (!d) return -1;
    char **names = NULL;
    size_t nn = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char **nv = realloc(names, (nn + 1) * sizeof *nv);
        if (!nv) break;
        names = nv;
        names[nn] = malloc(strlen(path) + strlen(e->d_name) + 2);
        if (!names[nn]) break;
        snprintf(names[nn], strlen(path) + strlen(e->d_name) + 2, "%s/%s", path, e->d_name);
        nn++;
    }
    closedir(d);
    qsort(names, nn, sizeof *names, cmp_str); /* stable order: failures are reproducible */
    int rc = 0;
    for (size_t i = 0; i < nn; i++) {
        if (run_path(names[i])) rc = -1;
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
        return 2;
    }
    if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
    int rc = 0;
    for (int i = 1; i < argc; i++)
        if (run_path(argv[i])) rc = 1;
    printf("replay: %ld inputs ran through %s without a crash\n", ran, argv[0]);
    if (ran == 0) {
        fprintf(stderr, "replay: no inputs found (empty corpus?)\n");
        return 1;
    }
    return rc;
}

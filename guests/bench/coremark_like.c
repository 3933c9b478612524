/* CoreMark-like integer benchmark guest (bench/run case 2), written for pmuemu.
 *
 * Each iteration runs four integer kernels on data derived from a per-iteration seed, so
 * no work is loop-invariant, and folds every result into a running CRC-16:
 *   - list:   build a 96-node singly linked list, reverse it, look up keys, merge-sort it
 *             by key (bottom-up, pointer manipulation only) and walk it;
 *   - matrix: 12x12 int16 matrices: product into int32, add/multiply by constants,
 *             bit-field extraction of the results;
 *   - state:  a character-driven state machine that classifies the tokens of a generated
 *             text as integers, decimals, exponents, hex numbers or invalid;
 *   - crc:    bitwise CRC-16/CCITT of every intermediate result.
 * CM_ITERS is a compile-time constant; bench/run takes guest MIPS from two builds with
 * different counts so emulator start-up cancels out. The printed crc must be the same on
 * every emulator (pmuemu, QEMU, Unicorn). No semihosting call happens inside the loop.
 */
#include "sdk.h"

#ifndef CM_ITERS
#error "build with -DCM_ITERS=<iterations>"
#endif

/* ------------------------------------------------------------------ CRC-16/CCITT */

static uint16_t crc16_byte(uint16_t crc, uint8_t b)
{
    crc ^= (uint16_t)b << 8;
    for (int i = 0; i < 8; ++i)
        crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    return crc;
}

static uint16_t crc16_u32(uint16_t crc, uint32_t v)
{
    crc = crc16_byte(crc, (uint8_t)v);
    crc = crc16_byte(crc, (uint8_t)(v >> 8));
    crc = crc16_byte(crc, (uint8_t)(v >> 16));
    return crc16_byte(crc, (uint8_t)(v >> 24));
}

static uint32_t lcg(uint32_t *x)
{
    *x = *x * 1664525u + 1013904223u;
    return *x;
}

/* ------------------------------------------------------------------ list */

#define LIST_NODES 96
struct node {
    struct node *next;
    int32_t key;
    int32_t val;
};
static struct node pool[LIST_NODES];

static struct node *list_build(uint32_t seed)
{
    struct node *head = 0;
    uint32_t x = seed;
    for (int i = 0; i < LIST_NODES; ++i) {
        uint32_t r = lcg(&x);
        pool[i].key = (int32_t)((r >> 12) & 0x3ff);
        pool[i].val = (int32_t)(r & 0xffff) - 0x8000;
        pool[i].next = head;
        head = &pool[i];
    }
    return head;
}

static struct node *list_reverse(struct node *h)
{
    struct node *prev = 0;
    while (h) {
        struct node *n = h->next;
        h->next = prev;
        prev = h;
        h = n;
    }
    return prev;
}

static const struct node *list_find(const struct node *h, int32_t key)
{
    for (; h; h = h->next)
        if (h->key == key)
            return h;
    return 0;
}

/* Merges two key-sorted lists; equal keys keep the order of `a` first (stable). */
static struct node *list_merge(struct node *a, struct node *b)
{
    struct node head;
    struct node *t = &head;
    while (a && b) {
        if (b->key < a->key) {
            t->next = b;
            b = b->next;
        } else {
            t->next = a;
            a = a->next;
        }
        t = t->next;
    }
    t->next = a ? a : b;
    return head.next;
}

/* Bottom-up merge sort: runs of width 1, 2, 4, ... are merged pairwise in one pass each. */
static struct node *list_sort(struct node *h)
{
    for (int width = 1;; width *= 2) {
        struct node *out = 0, *tail = 0, *p = h;
        int merges = 0;
        while (p) {
            struct node *a = p, *b, *rest;
            for (int i = 1; i < width && p->next; ++i)
                p = p->next;
            b = p->next;
            p->next = 0;
            p = b;
            for (int i = 1; i < width && p && p->next; ++i)
                p = p->next;
            if (p) {
                rest = p->next;
                p->next = 0;
            } else {
                rest = 0;
            }
            struct node *m = list_merge(a, b);
            if (tail)
                tail->next = m;
            else
                out = m;
            while (m->next)
                m = m->next;
            tail = m;
            p = rest;
            ++merges;
        }
        h = out;
        if (merges <= 1)
            return h;
    }
}

static uint16_t bench_list(uint32_t seed, uint16_t crc)
{
    struct node *h = list_reverse(list_build(seed));
    for (int k = 0; k < 8; ++k) {
        const struct node *f = list_find(h, (int32_t)((seed >> k) & 0x3ff));
        crc = crc16_u32(crc, f ? (uint32_t)f->val : 0xffffffffu);
    }
    h = list_sort(h);
    uint32_t acc = 0;
    int32_t last = -1;
    uint32_t sorted = 1;
    for (const struct node *p = h; p; p = p->next) {
        acc = acc * 31u + ((uint32_t)p->key ^ (uint32_t)p->val);
        sorted &= (uint32_t)(p->key >= last);
        last = p->key;
    }
    return crc16_u32(crc, acc ^ (sorted << 31));
}

/* ------------------------------------------------------------------ matrix */

#define MN 12
static int16_t ma[MN * MN], mb[MN * MN];
static int32_t mc[MN * MN];

static void mat_mul(int32_t *c, const int16_t *a, const int16_t *b)
{
    for (int i = 0; i < MN; ++i)
        for (int j = 0; j < MN; ++j) {
            int32_t s = 0;
            for (int k = 0; k < MN; ++k)
                s += (int32_t)a[i * MN + k] * (int32_t)b[k * MN + j];
            c[i * MN + j] = s;
        }
}

static uint32_t mat_summary(const int32_t *c)
{
    /* Bit-field extraction and a data-dependent branch, as a reduction. */
    uint32_t s = 0;
    for (int i = 0; i < MN * MN; ++i) {
        uint32_t v = (uint32_t)c[i];
        uint32_t field = (v >> 3) & 0x7f;
        if (field > 0x40)
            s += field;
        else
            s ^= v >> 11;
    }
    return s;
}

static uint16_t bench_matrix(uint32_t seed, uint16_t crc)
{
    uint32_t x = seed ^ 0xa5a5a5a5u;
    for (int i = 0; i < MN * MN; ++i) {
        uint32_t r = lcg(&x);
        ma[i] = (int16_t)((r >> 8) & 0x1ff) - 0x100;
        mb[i] = (int16_t)((r >> 20) & 0xff) - 0x80;
    }
    mat_mul(mc, ma, mb);
    crc = crc16_u32(crc, mat_summary(mc));
    const int16_t k = (int16_t)((seed & 0x3f) + 1);
    for (int i = 0; i < MN * MN; ++i)
        ma[i] = (int16_t)(ma[i] + k);
    mat_mul(mc, ma, mb);
    for (int i = 0; i < MN * MN; ++i)
        mc[i] *= k;
    return crc16_u32(crc, mat_summary(mc));
}

/* ------------------------------------------------------------------ state machine */

enum st { S_START, S_SIGN, S_INT, S_POINT, S_FRAC, S_EXP, S_EXPSIGN, S_EXPINT, S_ZERO, S_HEXX, S_HEX, S_BAD, S_COUNT };

#define TEXT_LEN 160
static char text[TEXT_LEN + 1];
static const char alphabet[] = "0123456789012345+-.eE,x9a,F,";

static enum st step(enum st s, char c, uint32_t *transitions)
{
    enum st n;
    int digit = c >= '0' && c <= '9';
    int hexal = (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    switch (s) {
    case S_START:
        n = c == '0' ? S_ZERO : digit ? S_INT : (c == '+' || c == '-') ? S_SIGN : c == '.' ? S_POINT : S_BAD;
        break;
    case S_SIGN:
        n = digit ? S_INT : c == '.' ? S_POINT : S_BAD;
        break;
    case S_ZERO:
        n = (c == 'x' || c == 'X') ? S_HEXX : digit ? S_INT : c == '.' ? S_POINT : (c == 'e' || c == 'E') ? S_EXP : S_BAD;
        break;
    case S_INT:
        n = digit ? S_INT : c == '.' ? S_POINT : (c == 'e' || c == 'E') ? S_EXP : S_BAD;
        break;
    case S_POINT:
        n = digit ? S_FRAC : S_BAD;
        break;
    case S_FRAC:
        n = digit ? S_FRAC : (c == 'e' || c == 'E') ? S_EXP : S_BAD;
        break;
    case S_EXP:
        n = digit ? S_EXPINT : (c == '+' || c == '-') ? S_EXPSIGN : S_BAD;
        break;
    case S_EXPSIGN:
    case S_EXPINT:
        n = digit ? S_EXPINT : S_BAD;
        break;
    case S_HEXX:
    case S_HEX:
        n = (digit || hexal) ? S_HEX : S_BAD;
        break;
    default:
        n = S_BAD;
        break;
    }
    if (n != s)
        ++*transitions;
    return n;
}

static uint16_t bench_state(uint32_t seed, uint16_t crc)
{
    uint32_t x = seed ^ 0x3c3c3c3cu;
    for (int i = 0; i < TEXT_LEN; ++i)
        text[i] = alphabet[(lcg(&x) >> 16) % (sizeof alphabet - 1)];
    text[TEXT_LEN] = 0;

    uint32_t finals[S_COUNT] = {0};
    uint32_t transitions = 0;
    enum st s = S_START;
    for (const char *p = text;; ++p) {
        if (*p == ',' || *p == 0) {
            ++finals[s];
            s = S_START;
            if (*p == 0)
                break;
            continue;
        }
        s = step(s, *p, &transitions);
    }
    for (int i = 0; i < S_COUNT; ++i)
        crc = crc16_u32(crc, finals[i] * (uint32_t)(i + 1));
    return crc16_u32(crc, transitions);
}

/* ------------------------------------------------------------------ main */

int main(uint64_t arg)
{
    uint16_t crc = 0;
    for (uint32_t i = 0; i < (uint32_t)CM_ITERS; ++i) {
        const uint32_t seed = 0x1234u + i * 0x9e3779b9u;
        crc = bench_list(seed, crc);
        crc = bench_matrix(seed, crc);
        crc = bench_state(seed, crc);
    }
    sdk_printf("coremark_like iterations=%lu crc=%04x\n", (unsigned long)CM_ITERS, (unsigned)crc);
    return 0;
}

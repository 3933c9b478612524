/* A compiler-generated workload: quicksort (Hoare partition, median of three) and an
   insertion sort of 1000 pseudo-random 64-bit numbers, checked against each other and
   summarized by checksums. Exits 42 when the sorts agree, so a wrong exit-status path
   shows up even if the output matches. */
#include "diff.h"

#define N 1000
static uint64_t a[N], b[N];

static void swap(uint64_t *x, uint64_t *y)
{
    uint64_t t = *x;
    *x = *y;
    *y = t;
}

static void quicksort(uint64_t *v, long lo, long hi)
{
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (v[mid] < v[lo])
            swap(&v[mid], &v[lo]);
        if (v[hi] < v[lo])
            swap(&v[hi], &v[lo]);
        if (v[hi] < v[mid])
            swap(&v[hi], &v[mid]);
        uint64_t pivot = v[mid];
        long i = lo - 1, j = hi + 1;
        for (;;) {
            do
                i++;
            while (v[i] < pivot);
            do
                j--;
            while (v[j] > pivot);
            if (i >= j)
                break;
            swap(&v[i], &v[j]);
        }
        /* Recurse into the smaller half to bound the stack depth. */
        if (j - lo < hi - j) {
            quicksort(v, lo, j);
            lo = j + 1;
        } else {
            quicksort(v, j + 1, hi);
            hi = j;
        }
    }
}

static void insertion_sort(uint64_t *v, long n)
{
    for (long i = 1; i < n; i++) {
        uint64_t x = v[i];
        long j = i - 1;
        while (j >= 0 && v[j] > x) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
}

int main(uint64_t arg)
{
    uint64_t sum = 0, xsum = 0;
    for (int i = 0; i < N; i++) {
        /* Small range too, so equal keys occur and partitioning sees duplicates. */
        a[i] = (i % 5 == 0) ? (diff_rand() & 0xf) : diff_rand();
        b[i] = a[i];
        sum += a[i];
        xsum ^= a[i] * (uint64_t)(i + 1);
    }
    DIFF_OUT("input sum %lx xsum %lx first %lx last %lx\n", sum, xsum, a[0], a[N - 1]);
    quicksort(a, 0, N - 1);
    insertion_sort(b, N);
    int sorted = 1, same = 1;
    uint64_t pos_hash = 0, sum2 = 0;
    for (int i = 0; i < N; i++) {
        if (i && a[i - 1] > a[i])
            sorted = 0;
        if (a[i] != b[i])
            same = 0;
        pos_hash = pos_hash * 0x100000001b3ull ^ a[i];
        sum2 += a[i];
    }
    DIFF_OUT("sorted %d same %d sum preserved %d\n", sorted, same, sum2 == sum);
    DIFF_OUT("min %lx median %lx max %lx\n", a[0], a[N / 2], a[N - 1]);
    DIFF_OUT("positional hash %lx\n", pos_hash);
    for (int i = 0; i < N; i += 97)
        DIFF_OUT(" a[%d] = %lx\n", i, a[i]);
    return sorted && same ? 42 : 1;
}

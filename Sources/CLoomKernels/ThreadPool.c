#include "CLoomKernels.h"

#include <immintrin.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

// The worker threads of loom_parallel_for. A worker that finishes a loop spins for a short
// while before it sleeps, so the next loop of a training step (usually microseconds later)
// finds it awake. Waking a sleeping thread takes tens of microseconds, more in a virtual
// machine, and a step runs hundreds of loops; before, the caller sat idle for that long at
// the start of each one. The spin lasts up to 1 ms: between the shards of one data-parallel
// step and those of the next, the caller gathers gradients and updates the weights for
// most of a millisecond, and a worker woken after that measured 1-3% slower steps.

#define SPIN_NANOSECONDS 1000000L
#define MAXIMUM_WORKERS 63

typedef struct {
    loom_task_function function;
    void *context;
    long count;
    _Atomic long next;      // the next index to hand out
    _Atomic long finished;  // indices whose call has returned
} Job;

static struct {
    pthread_mutex_t submit;  // one loop at a time; a second caller runs its loop alone
    _Atomic(Job *) current;
    _Atomic unsigned generation;  // bumped for each loop; sleeping workers wait on it
    _Atomic int sleepers;
    _Atomic int busy;  // workers between reading `current` and letting go of its job
    int workers;
    pthread_once_t once;
} pool = {.submit = PTHREAD_MUTEX_INITIALIZER, .once = PTHREAD_ONCE_INIT};

// Set on workers for good and on a caller during its loop: a loop started inside a loop
// body runs on the calling thread.
static __thread int inside_loop;

static long now_nanoseconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

// The caller's wait for the workers: a pause while they are likely running, then a yield,
// in case a worker was descheduled by other work on the machine.
static void wait_a_moment(long spins) {
    if (spins < 4096) _mm_pause();
    else sched_yield();
}

static void run_indices(Job *job) {
    long done = 0;
    for (;;) {
        long index = atomic_fetch_add(&job->next, 1);
        if (index >= job->count) break;
        job->function(job->context, index);
        done++;
    }
    if (done) atomic_fetch_add(&job->finished, done);
}

static void *worker_main(void *unused) {
    (void)unused;
    inside_loop = 1;
    unsigned seen = atomic_load(&pool.generation);
    for (;;) {
        unsigned generation = atomic_load(&pool.generation);
        if (generation != seen) {
            seen = generation;
            // `busy` goes up before `current` is read, and the caller clears `current` before
            // it waits for `busy` to reach zero, so no worker holds a job that has returned.
            atomic_fetch_add(&pool.busy, 1);
            Job *job = atomic_load(&pool.current);
            if (job) run_indices(job);
            atomic_fetch_sub(&pool.busy, 1);
            continue;
        }
        long start = now_nanoseconds();
        int woken = 0;
        while (!woken) {
            for (int i = 0; i < 64; i++) {
                _mm_pause();
                if (atomic_load_explicit(&pool.generation, memory_order_relaxed) != seen) { woken = 1; break; }
            }
            if (!woken && now_nanoseconds() - start > SPIN_NANOSECONDS) break;
        }
        if (woken) continue;
        atomic_fetch_add(&pool.sleepers, 1);
        // Sleeps only if the generation is still the one seen; a loop published meanwhile
        // makes the call return at once.
        syscall(SYS_futex, &pool.generation, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
        atomic_fetch_sub(&pool.sleepers, 1);
    }
    return NULL;
}

static void start_workers(void) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int wanted = cores > 1 ? (int)(cores - 1) : 0;
    if (wanted > MAXIMUM_WORKERS) wanted = MAXIMUM_WORKERS;
    for (int i = 0; i < wanted; i++) {
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&thread, &attributes, worker_main, NULL) == 0) pool.workers++;
        pthread_attr_destroy(&attributes);
    }
}

void loom_parallel_for(long count, loom_task_function function, void *context) {
    if (count <= 0) return;
    pthread_once(&pool.once, start_workers);
    if (count == 1 || pool.workers == 0 || inside_loop || pthread_mutex_trylock(&pool.submit) != 0) {
        for (long i = 0; i < count; i++) function(context, i);
        return;
    }
    inside_loop = 1;
    Job job = {.function = function, .context = context, .count = count};
    atomic_init(&job.next, 0);
    atomic_init(&job.finished, 0);
    atomic_store(&pool.current, &job);
    atomic_fetch_add(&pool.generation, 1);
    if (atomic_load(&pool.sleepers) > 0)
        syscall(SYS_futex, &pool.generation, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
    run_indices(&job);
    for (long spins = 0; atomic_load(&job.finished) < count; spins++) wait_a_moment(spins);
    atomic_store(&pool.current, NULL);
    for (long spins = 0; atomic_load(&pool.busy) > 0; spins++) wait_a_moment(spins);
    inside_loop = 0;
    pthread_mutex_unlock(&pool.submit);
}

int loom_parallel_workers(void) {
    pthread_once(&pool.once, start_workers);
    return pool.workers;
}

static __thread int gradient_shard;

int loom_gradient_shard(void) { return gradient_shard; }

void loom_set_gradient_shard(int shard) { gradient_shard = shard; }

void loom_spin_lock(int *lock) {
    _Atomic int *word = (_Atomic int *)lock;
    for (;;) {
        int expected = 0;
        if (atomic_compare_exchange_weak_explicit(word, &expected, 1, memory_order_acquire, memory_order_relaxed)) return;
        for (long spins = 0; atomic_load_explicit(word, memory_order_relaxed); spins++) wait_a_moment(spins);
    }
}

void loom_spin_unlock(int *lock) { atomic_store_explicit((_Atomic int *)lock, 0, memory_order_release); }

void loom_flag_raise(int *flag) { atomic_store_explicit((_Atomic int *)flag, 1, memory_order_release); }

void loom_flag_wait(const int *flag) {
    for (long spins = 0; !atomic_load_explicit((_Atomic const int *)flag, memory_order_acquire); spins++)
        wait_a_moment(spins);
}

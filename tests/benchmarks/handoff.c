/* What one request/answer between two threads costs on this machine, without Python.

   An acknowledged write through TimelyGator's writer is such a round trip: the caller hands
   the operation to the writer thread and sleeps; the writer does the work, commits and wakes
   the caller. This program does the same with POSIX semaphores and a busy loop standing in
   for the work, so it shows the floor the machine itself puts under
   `storage.py`'s "one producer waiting for each acknowledgement" figure.

   Build and run (Linux, any C compiler):
       cc -O2 -pthread -o /tmp/handoff tests/benchmarks/handoff.c
       /tmp/handoff                 # threads on any CPUs (as the benchmark runs)
       taskset -c 0 /tmp/handoff    # both threads on one CPU, for comparison
   It prints, for 0, 20 and 45 us of work per request, the time of a whole round trip and
   what the hand-off adds to the work.
*/
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <time.h>

enum { ROUNDS = 20000 };
static sem_t request, answer;
static long work_ns;

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static void *writer(void *unused) {
    (void)unused;
    for (int i = 0; i < ROUNDS; i++) {
        sem_wait(&request);
        double until = now_ns() + work_ns;
        while (now_ns() < until) {
        }
        sem_post(&answer);
    }
    return NULL;
}

int main(void) {
    const long works_us[] = {0, 20, 45};
    for (unsigned w = 0; w < sizeof works_us / sizeof works_us[0]; w++) {
        work_ns = works_us[w] * 1000;
        sem_init(&request, 0, 0);
        sem_init(&answer, 0, 0);
        pthread_t thread;
        pthread_create(&thread, NULL, writer, NULL);
        double start = now_ns();
        for (int i = 0; i < ROUNDS; i++) {
            sem_post(&request);
            sem_wait(&answer);
        }
        double per_us = (now_ns() - start) / ROUNDS / 1000;
        pthread_join(thread, NULL);
        printf("work %2ld us: round trip %6.1f us, hand-off %5.1f us\n", works_us[w], per_us,
               per_us - works_us[w]);
    }
    return 0;
}

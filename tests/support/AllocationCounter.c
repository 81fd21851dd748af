// LD_PRELOAD library for tests: counts the heap allocations of the process it is loaded into
// (malloc, calloc, realloc, the aligned allocators; operator new goes through malloc in
// libstdc++). On SIGUSR2 it writes the count, in decimal, to the file named by
// $SWITCHYARD_ALLOCATION_COUNT_FILE. Used by tests/WorkerAllocationTest.cpp to show that the
// worker's forwarding path allocates nothing per packet.
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void* __libc_malloc(size_t size);
extern void* __libc_calloc(size_t count, size_t size);
extern void* __libc_realloc(void* pointer, size_t size);
extern void* __libc_memalign(size_t alignment, size_t size);

static atomic_ulong allocations;
static char countFile[512];

void* malloc(size_t size) {
  atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
  return __libc_malloc(size);
}

void* calloc(size_t count, size_t size) {
  atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
  return __libc_calloc(count, size);
}

void* realloc(void* pointer, size_t size) {
  atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
  return __libc_realloc(pointer, size);
}

void* memalign(size_t alignment, size_t size) {
  atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
  return __libc_memalign(alignment, size);
}

void* aligned_alloc(size_t alignment, size_t size) {
  return memalign(alignment, size);
}

int posix_memalign(void** out, size_t alignment, size_t size) {
  void* p = memalign(alignment, size);
  if (p == NULL) return 12;  // ENOMEM
  *out = p;
  return 0;
}

// Async-signal-safe: formats by hand and uses only open/write/close.
static void report(int signum) {
  (void)signum;
  if (countFile[0] == '\0') return;
  char digits[32];
  size_t n = 0;
  unsigned long v = atomic_load(&allocations);
  do {
    digits[sizeof digits - 1 - n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0 && n < sizeof digits);
  const int fd = open(countFile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  ssize_t ignored = write(fd, digits + sizeof digits - n, n);
  (void)ignored;
  close(fd);
}

__attribute__((constructor)) static void start(void) {
  const char* file = getenv("SWITCHYARD_ALLOCATION_COUNT_FILE");
  if (file == NULL || strlen(file) >= sizeof countFile) return;
  strcpy(countFile, file);
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = report;
  action.sa_flags = SA_RESTART;
  sigaction(SIGUSR2, &action, NULL);
}

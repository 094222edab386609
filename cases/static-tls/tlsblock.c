/*
 * A C library with TLS_BYTES of thread-local storage in the initial-exec
 * model, the model Go's runtime uses for its own TLS slot. glibc can give a
 * dlopen()ed library such TLS only from the surplus it reserved in the
 * static TLS block at startup; musl reserves none.
 */
#ifndef TLS_BYTES
#error "build with -DTLS_BYTES=<bytes>"
#endif

__thread char tls_block[TLS_BYTES] __attribute__((tls_model("initial-exec")));

/* Writes the block's last byte on the calling thread: the store is the
 * initial-exec access that makes the library need static TLS. */
int tls_block_touch(int value) {
    tls_block[TLS_BYTES - 1] = (char)value;
    return tls_block[TLS_BYTES - 1];
}

unsigned tls_block_size(void) { return TLS_BYTES; }

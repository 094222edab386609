/* tlsblock: the C libraries' exports, typed for dlsym. */
#ifndef TLSBLOCK_H
#define TLSBLOCK_H

int tls_block_touch(int value);
unsigned tls_block_size(void);

#endif

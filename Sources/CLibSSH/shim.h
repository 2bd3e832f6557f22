#ifndef CROSSNET_CLIBSSH_SHIM_H
#define CROSSNET_CLIBSSH_SHIM_H
#include <libssh/libssh.h>
#include <libssh/callbacks.h>
#endif

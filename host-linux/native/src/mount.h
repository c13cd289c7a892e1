/* mount(2) and umount2(2) for the daemon: overlay root file systems and their clean-up. */
#ifndef BERTH_MOUNT_H
#define BERTH_MOUNT_H
#include <node_api.h>

napi_value berth_mount(napi_env env, napi_callback_info info);
napi_value berth_umount2(napi_env env, napi_callback_info info);

#endif

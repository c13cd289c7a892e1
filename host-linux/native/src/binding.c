/* berth's native addon: the few system calls Node does not expose. */
#include <node_api.h>

#include "berth.h"
#include "errors.h"
#include "mount.h"

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"mknod", NULL, berth_mknod, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lsetxattr", NULL, berth_lsetxattr, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lgetxattr", NULL, berth_lgetxattr, NULL, NULL, NULL, napi_enumerable, NULL},
      {"llistxattr", NULL, berth_llistxattr, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lremovexattr", NULL, berth_lremovexattr, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mount", NULL, berth_mount, NULL, NULL, NULL, napi_enumerable, NULL},
      {"umount2", NULL, berth_umount2, NULL, NULL, NULL, napi_enumerable, NULL},
      {"deviceFilterProgram", NULL, berth_device_filter_program, NULL, NULL, NULL, napi_enumerable, NULL},
      {"deviceFilterPrograms", NULL, berth_device_filter_programs, NULL, NULL, NULL, napi_enumerable, NULL},
      {"attachDeviceFilter", NULL, berth_attach_device_filter, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mallocTrim", NULL, berth_malloc_trim, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mallopt", NULL, berth_mallopt, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lowMemoryNotification", NULL, berth_low_memory_notification, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netlinkCreateBridge", NULL, berth_netlink_create_bridge, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netlinkCreateVeth", NULL, berth_netlink_create_veth, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netlinkSetLinkNetns", NULL, berth_netlink_set_link_netns, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netlinkRenameLink", NULL, berth_netlink_rename_link, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netlinkSetLinkUp", NULL, berth_netlink_set_link_up, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netlinkSetLinkMaster", NULL, berth_netlink_set_link_master, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netlinkSetLinkMtu", NULL, berth_netlink_set_link_mtu, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netlinkDeleteLink", NULL, berth_netlink_delete_link, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netlinkLink", NULL, berth_netlink_link, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netlinkAddAddress", NULL, berth_netlink_add_address, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netlinkAddRoute", NULL, berth_netlink_add_route, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netlinkListRoutes", NULL, berth_netlink_list_routes, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netlinkDeleteRoute", NULL, berth_netlink_delete_route, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netlinkListLinks", NULL, berth_netlink_list_links, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netlinkListAddresses", NULL, berth_netlink_list_addresses, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netlinkSetLinkAddress", NULL, berth_netlink_set_link_address, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netlinkAddRule", NULL, berth_netlink_add_rule, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netlinkDeleteRule", NULL, berth_netlink_delete_rule, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netlinkListRules", NULL, berth_netlink_list_rules, NULL, NULL, NULL, napi_enumerable, NULL},
      {"netlinkJoinEndpoint", NULL, berth_netlink_join_endpoint, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  BERTH_CALL(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

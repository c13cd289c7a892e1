/* The functions the addon exports, one source file per concern. */
#ifndef BERTH_H
#define BERTH_H
#include <node_api.h>

napi_value berth_mknod(napi_env env, napi_callback_info info);
napi_value berth_lsetxattr(napi_env env, napi_callback_info info);
napi_value berth_lgetxattr(napi_env env, napi_callback_info info);
napi_value berth_llistxattr(napi_env env, napi_callback_info info);
napi_value berth_lremovexattr(napi_env env, napi_callback_info info);
napi_value berth_device_filter_program(napi_env env, napi_callback_info info);
napi_value berth_device_filter_programs(napi_env env, napi_callback_info info);
napi_value berth_attach_device_filter(napi_env env, napi_callback_info info);
napi_value berth_malloc_trim(napi_env env, napi_callback_info info);
napi_value berth_mallopt(napi_env env, napi_callback_info info);
napi_value berth_low_memory_notification(napi_env env, napi_callback_info info);
/* netlink.c: links, addresses and routes over rtnetlink. */
napi_value berth_netlink_create_bridge(napi_env env, napi_callback_info info);
napi_value berth_netlink_create_veth(napi_env env, napi_callback_info info);
napi_value berth_netlink_set_link_netns(napi_env env, napi_callback_info info);
napi_value berth_netlink_rename_link(napi_env env, napi_callback_info info);
napi_value berth_netlink_set_link_up(napi_env env, napi_callback_info info);
napi_value berth_netlink_set_link_master(napi_env env, napi_callback_info info);
napi_value berth_netlink_set_link_mtu(napi_env env, napi_callback_info info);
napi_value berth_netlink_delete_link(napi_env env, napi_callback_info info);
napi_value berth_netlink_link(napi_env env, napi_callback_info info);
napi_value berth_netlink_add_address(napi_env env, napi_callback_info info);
napi_value berth_netlink_add_route(napi_env env, napi_callback_info info);
napi_value berth_netlink_list_routes(napi_env env, napi_callback_info info);
napi_value berth_netlink_delete_route(napi_env env, napi_callback_info info);
napi_value berth_netlink_list_links(napi_env env, napi_callback_info info);
napi_value berth_netlink_list_addresses(napi_env env, napi_callback_info info);
napi_value berth_netlink_set_link_address(napi_env env, napi_callback_info info);
napi_value berth_netlink_add_rule(napi_env env, napi_callback_info info);
napi_value berth_netlink_delete_rule(napi_env env, napi_callback_info info);
napi_value berth_netlink_list_rules(napi_env env, napi_callback_info info);
napi_value berth_netlink_join_endpoint(napi_env env, napi_callback_info info);

#endif

"""The back office as a browser sees it: the login page and the three apps of the suite."""

from odoo.tests import HttpCase, tagged

APPS = {
    "ecom_channels.ecom_channels_menu_root": "Channels",
    "ecom_fulfilment.ecom_fulfilment_menu_root": "Fulfilment",
    "ecom_replenishment.ecom_replenishment_menu_root": "Replenishment",
    "ecom_warehouse.ecom_warehouse_menu_root": "Warehouse",
}


@tagged("post_install", "-at_install")
class TestWebClient(HttpCase):
    def test_login_page(self):
        response = self.url_open("/web/login")
        self.assertEqual(response.status_code, 200)
        self.assertIn('name="login"', response.text)

    def test_admin_sees_the_three_apps(self):
        self.authenticate("admin", "admin")
        response = self.url_open("/web/webclient/load_menus/1")
        self.assertEqual(response.status_code, 200)
        menus = response.json()
        app_ids = menus["root"]["children"]
        apps = {menus[str(menu_id)]["xmlid"]: menus[str(menu_id)] for menu_id in app_ids}
        for xmlid, name in APPS.items():
            self.assertIn(xmlid, apps, "%s is not an app of the admin's home screen" % name)
            self.assertEqual(apps[xmlid]["name"], name)
            self.assertTrue(apps[xmlid]["webIconData"], "%s has no icon" % name)

    def test_warehouse_operator_sees_fulfilment_not_replenishment(self):
        self.env["res.users"].create(
            {
                "name": "Operator",
                "login": "op_web",
                "password": "op_web_pass",
                "groups_id": [
                    (6, 0, [self.env.ref("ecom_fulfilment.ecom_fulfilment_group_user").id])
                ],
            }
        )
        self.authenticate("op_web", "op_web_pass")
        menus = self.url_open("/web/webclient/load_menus/1").json()
        xmlids = {menus[str(i)]["xmlid"] for i in menus["root"]["children"]}
        self.assertIn("ecom_fulfilment.ecom_fulfilment_menu_root", xmlids)
        self.assertIn("ecom_channels.ecom_channels_menu_root", xmlids)
        self.assertNotIn("ecom_replenishment.ecom_replenishment_menu_root", xmlids)

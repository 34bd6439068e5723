"""Real user agents for the verdict tests, copied from public corpora; each block says where.

- matomo: matomo-org/device-detector's test fixtures, as shipped in the PyPI package
  `device-detector` 6.5.1 under `device_detector/tests/fixtures/upstream/` (file:line given).
- isbot: omrilotan/isbot `fixtures/browsers.yml` / `fixtures/crawlers.yml`.
- uap-core: ua-parser/uap-core `tests/test_ua.yaml`.
- monperrus: monperrus/crawler-user-agents `crawler-user-agents.json` (`instances`), as shipped
  in the PyPI package `crawler-user-agents` 1.67.0.
"""

from __future__ import annotations

# In-app browsers of the messaging and office apps buyers open links in: people.
IN_APP_BROWSERS = {
    # matomo smartphone-29.yml:7431 (WeChat's Android web view runs in a process named "toolsmp")
    "wechat_android": (
        "Mozilla/5.0 (Linux; Android 12; LGE-AN10 Build/HONORLGE-AN10; wv) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/86.0.4240.99 XWEB/3211 MMWEBSDK/20220303 Mobile "
        "Safari/537.36 MMWEBID/7223 MicroMessenger/8.0.21.2120(0x2800153B) Process/toolsmp "
        "WeChat/arm64 Weixin NetType/5G Language/zh_CN ABI/arm64"
    ),
    # matomo smartphone-6.yml:3717
    "wechat_android_tools": (
        "Mozilla/5.0 (Linux; Android 8.1; COR-AL10 Build/HUAWEICOR-AL10; wv) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/57.0.2987.132 MQQBrowser/6.2 TBS/044408 Mobile "
        "Safari/537.36 MMWEBID/347 MicroMessenger/7.0.1380(0x2700003A) Process/tools "
        "NetType/WIFI Language/zh_CN"
    ),
    # matomo smartphone-2.yml:381
    "wechat_iphone": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 7_0_6 like Mac OS X) AppleWebKit/537.51.1 "
        "(KHTML, like Gecko) Mobile/11B651 MicroMessenger/5.2"
    ),
    # isbot fixtures/browsers.yml (WeChat)
    "wechat_windows": (
        "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/39.0.2171.95 Safari/537.36 MicroMessenger/6.5.2.501 NetType/WIFI WindowsWechat "
        "QBCore/3.43.691.400 QQBrowser/9.0.2524.400"
    ),
    # uap-core tests/test_ua.yaml (WeCom desktop, family "WeChat Browser")
    "wecom_windows": (
        "Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/129.0.6668.101 Safari/537.36 Language/zh ColorScheme/Light wxwork/5.0.3 "
        "(MicroMessenger/6.2) WindowsWechat MailPlugin_Electron WeMail embeddisk "
        "wwmver/3.26.503.665 noMediaCs/false"
    ),
    # isbot fixtures/browsers.yml (WeCom on iPhone)
    "wecom_iphone": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 10_3_3 like Mac OS X) AppleWebKit/603.3.8 "
        "(KHTML, like Gecko) Mobile/14G60 wxwork/2.1.5 MicroMessenger/6.3.22"
    ),
    # matomo phablet-1.yml:6853
    "feishu_android": (
        "Mozilla/5.0 (Linux; Android 17; SM-F9710 Build/CP2A.260605.016; wv) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/147.0.7727.137 Mobile Safari/537.36 "
        "Lark/7.73.11 LarkLocale/zh_CN ChannelName/Feishu appid/482431; appname/Feishu;"
    ),
    # matomo smart_display.yml:327
    "dingtalk_harmony": (
        "Mozilla/5.0 (Linux; U; Android 10; zh-CN; BLM-00 Build/HUAWEIBLM-00) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/69.0.3497.100 UWS/3.22.1.228 Mobile "
        "Safari/537.36 AliApp(DingTalk/6.5.30) com.alibaba.android.rimet/25293052 "
        "Channel/227200 language/zh-CN abi/64 Pad/APad Hmos/1 UT4Aplus/0.2.25 colorScheme/light"
    ),
    # matomo tablet-9.yml:1815
    "dingtalk_tablet": (
        "Mozilla/5.0 (Linux; U; Android 7.1.1; zh-CN; Readboy_G550A Build/NMF26F) "
        "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/69.0.3497.100 "
        "UWS/3.22.1.233 Mobile Safari/537.36 AliApp(DingTalk/6.5.57.23) "
        "com.alibaba.android.rimet/27727534 Channel/10002068 language/zh-CN abi/64 Pad/APad "
        "colorScheme/light"
    ),
    # isbot fixtures/browsers.yml (Facebook in-app browser)
    "facebook_android": (
        "Mozilla/5.0 (Linux; Android 9; SM-G950U Build/PPR1.180610.011; wv) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/80.0.3987.149 Mobile Safari/537.36 "
        "[FB_IAB/FB4A;FBAV/263.0.0.46.121;]"
    ),
    # isbot fixtures/browsers.yml (Instagram)
    "instagram_android": (
        "Mozilla/5.0 (Linux; Android 11; Pixel 2 Build/RP1A.201005.004.A1; wv) "
        "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/91.0.4472.120 Mobile "
        "Safari/537.36 Instagram 194.0.0.36.172 Android (30/11; 420dpi; 1080x1878; "
        "Google/google; Pixel 2; walleye; walleye; en_US; 301484483)"
    ),
    # isbot fixtures/browsers.yml (Twitter App)
    "twitter_iphone": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 13_3_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Mobile/17D50 Twitter for iPhone/8.10"
    ),
    # isbot fixtures/browsers.yml (LinkedIn)
    "linkedin_iphone": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 12_4_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Mobile/15E148 [LinkedInApp]"
    ),
}

# Chinese mobile browsers and search apps (matomo): people. Sogou's share a name with its spider.
CHINESE_BROWSERS = {
    # matomo smartphone-11.yml:945
    "sogou_browser": (
        "Mozilla/5.0 (Linux; Android 6.0.1; OPPO R9s Plus Build/MMB29M; wv) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/68.0.3440.106 Mobile Safari/537.36 AWP/2.0 "
        "SogouMSE,SogouMobileBrowser/5.28.7"
    ),
    # matomo smartphone-29.yml:8201
    "sogou_search_app": (
        "Mozilla/5.0 (Linux; Android 7.1.2; MANN 8S Build/N2G47H; wv) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/55.0.2883.91 Mobile Safari/537.36 "
        "SGInfo/1080/1776/3.0 SogouSearch Android1.0 version3.0 AppVersion/7702 NoHead"
    ),
    # matomo mobile_apps.yml:1187
    "baidu_app": (
        "Mozilla/5.0 (Linux; Android 10; BMH-TN10 Build/HUAWEIBMH-TN10; wv) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/76.0.3809.89 Mobile Safari/537.36 T7/12.23 "
        "BDOS/1.0 (HarmonyOS 2.1.0) SP-engine/2.35.0 baiduboxapp/12.23.5.10 (Baidu; P1 10) "
        "NABar/1.0"
    ),
    # matomo phablet-1.yml:415
    "quark": (
        "Mozilla/5.0 (Linux; U; Android 12; zh-CN; 22101316C Build/SP1A.210812.016) "
        "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/78.0.3904.108 "
        "Quark/6.0.8.236 Mobile Safari/537.36"
    ),
    # matomo peripheral.yml:1184
    "qq_browser": (
        "Mozilla/5.0 (Linux; U; Android 10; zh-cn; iData_i3AL Build/QP1A.190711.020) "
        "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/89.0.4389.72 MQQBrowser/12.0 "
        "Mobile Safari/537.36"
    ),
    # matomo desktop-1.yml:183
    "huawei_browser": (
        "Mozilla/5.0 (PC; OpenHarmony 6.1; Windows NT 10.0) AppleWebKit/537.36 (KHTML, like "
        "Gecko) Chrome/132.0.0.0 Safari/537.36 ArkWeb/6.1.0.100 HuaweiBrowser/6.1.3.321"
    ),
}

# isbot fixtures/crawlers.yml "Wechat Dev Tools": WeChat's UA from behind Tencent's CDN.
WECHAT_DEVTOOLS_CRAWLER = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 13_1_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148 MicroMessenger/7.0.12(0x17000c2f) NetType/4G Language/zh_CN "
    "wechatdevtools qcloudcdn-xinan"
)

# Chat-app link unfurlers (monperrus unless noted): each fetch would count as a buyer's open.
UNFURLERS = {
    "slack": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "whatsapp": "WhatsApp/2.19.258 A",
    "telegram": "TelegramBot (like TwitterBot)",
    "discord": "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "twitter": "Twitterbot/1.0",
    "linkedin": (
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)"
    ),
    "skype": "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5",
    # matomo bots.yml: Teams' and Outlook's link previews
    "teams": (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; MicrosoftPreview/2.0; "
        "+https://aka.ms/MicrosoftPreview) Chrome/100.0.4896.127 Safari/537.36"
    ),
    "dingtalk": (
        "DingTalkBot-LinkService/1.0 (+https://open-doc.dingtalk.com/microapp/faquestions/ftpfeu)"
    ),
    "facebook": "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
}

# Uptime / CDN monitors (monperrus unless noted).
MONITORS = {
    "pingdom": "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
    "uptimerobot": "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
    "statuscake": "StatusCake_Uptime_Checker/1.0",
    "site24x7": "Site24x7",
    "cloudflare_healthchecks": (
        "Mozilla/5.0 (compatible; Cloudflare-Healthchecks/1.0; +https://www.cloudflare.com/; "
        "healthcheck-id: AAAAAAAAAAAAAAAA)"
    ),
    "cloudflare_always_online": (
        "Mozilla/5.0 (compatible; CloudFlare-AlwaysOnline/1.0; "
        "+http://www.cloudflare.com/always-online) AppleWebKit/534.34"
    ),
}

# Unfurlers and monitors in monperrus that crawlerdetect 0.4.2 does not list (isbot does):
# on main each of these counted as a person.
MISSED_BY_CRAWLERDETECT = {
    "viber": "Viber",
    "steam_chat": "Valve/Steam HTTP Client 1.0 (SteamChatURLLookup)",
    "clickup": "ClickUpLinkUnfurler/1.0 (+https://clickup.com)",
    "notion": "Notion/1.0 (https://notion.so; team@makenotion.com)",
    "snapchat": "Mozilla/5.0 (compatible; SnapURLPreview/1.0; +https://www.snapchat.com)",
    "twilio": "TwilioProxy/1.1",
    "checkly": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/134.0.6998.35 Safari/537.36 (Checkly, https://www.checklyhq.com)"
    ),
    "app_insights": (
        "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0; AppInsights)"
    ),
    "cloudflare_traffic_manager": (
        "Mozilla/5.0 (compatible; Cloudflare-Traffic-Manager/1.0; "
        "+https://www.cloudflare.com/traffic-manager/; pool-id: AAAAAAAAAAAAAAAA)"
    ),
    "datadog": "Datadog Synthetic",
    "uptrends": "uptrends",
    "wheresitup": "wheresitup.com/1.1",
}

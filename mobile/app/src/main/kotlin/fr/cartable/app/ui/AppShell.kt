package fr.cartable.app.ui

import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.material.DrawerValue
import androidx.compose.material.ExperimentalMaterialApi
import androidx.compose.material.Icon
import androidx.compose.material.IconButton
import androidx.compose.material.MaterialTheme
import androidx.compose.material.ModalDrawer
import androidx.compose.material.Surface
import androidx.compose.material.Text
import androidx.compose.material.TopAppBar
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Menu
import androidx.compose.material.icons.filled.Refresh
import androidx.compose.material.pullrefresh.PullRefreshIndicator
import androidx.compose.material.pullrefresh.pullRefresh
import androidx.compose.material.pullrefresh.rememberPullRefreshState
import androidx.compose.material.rememberDrawerState
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.semantics.role
import androidx.compose.ui.semantics.selected
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import androidx.compose.foundation.clickable
import androidx.compose.foundation.background
import fr.cartable.app.state.AppModel
import fr.cartable.app.state.Screen
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch

/** How often the app syncs in the background while open. */
private const val SYNC_EVERY_MS = 60_000L

/**
 * The app: "Connexion" until signed in, then the screens of the portal behind a menu, the
 * offline banner and the announcements. [live] runs the background sync and dismisses
 * announcements by itself (off in tests, which sync by hand).
 */
@OptIn(ExperimentalMaterialApi::class)
@Composable
fun CartableApp(model: AppModel, live: Boolean = true, drawerOpen: Boolean = false) {
    CartableTheme {
        val scope = rememberCoroutineScope()
        if (!model.signedIn) {
            Surface(Modifier.fillMaxSize()) { LoginScreen(model.login.state(), loginActions(model, scope)) }
            return@CartableTheme
        }
        if (live) {
            LaunchedEffect(Unit) {
                while (true) {
                    delay(SYNC_EVERY_MS)
                    model.sync()
                }
            }
            LaunchedEffect(model.pendingChanges, model.online) {
                if (model.pendingChanges > 0 && model.online) {
                    delay(1_500)
                    model.sync()
                }
            }
            LaunchedEffect(model.announcements.firstOrNull()) {
                if (model.announcements.isNotEmpty()) {
                    delay(8_000)
                    model.dismissAnnouncement()
                }
            }
        }
        val drawer = rememberDrawerState(if (drawerOpen) DrawerValue.Open else DrawerValue.Closed)
        ModalDrawer(
            drawerState = drawer,
            drawerContent = {
                Menu(model) { screen ->
                    scope.launch {
                        drawer.close()
                        model.show(screen)
                    }
                }
            },
        ) {
            Column(Modifier.fillMaxSize()) {
                TopAppBar(
                    title = { Text(model.screen.title) },
                    navigationIcon = {
                        IconButton(onClick = { scope.launch { drawer.open() } }, modifier = Modifier.size(TouchTarget)) {
                            Icon(Icons.Filled.Menu, contentDescription = "Menu")
                        }
                    },
                    actions = {
                        IconButton(onClick = { scope.launch { model.sync() } }, modifier = Modifier.size(TouchTarget)) {
                            Icon(Icons.Filled.Refresh, contentDescription = "Actualiser")
                        }
                    },
                )
                OfflineBanner(model.online, model.pendingChanges) { scope.launch { model.sync() } }
                val refresh = rememberPullRefreshState(model.syncing, { scope.launch { model.sync() } })
                Box(Modifier.fillMaxSize().pullRefresh(refresh)) {
                    Surface(Modifier.fillMaxSize(), color = Color(0xFFF6F7F9)) {
                        ScreenContent(model, scope)
                    }
                    PullRefreshIndicator(model.syncing, refresh, Modifier.align(Alignment.TopCenter))
                    model.announcements.firstOrNull()?.let { message ->
                        Announcement(
                            message,
                            model.announcements.size - 1,
                            onDismiss = { model.dismissAnnouncement() },
                            modifier = Modifier.align(Alignment.BottomCenter),
                        )
                    }
                }
            }
        }
    }
}

@Composable
private fun Menu(model: AppModel, onSelect: (Screen) -> Unit) {
    Column(Modifier.fillMaxSize().padding(vertical = 12.dp)) {
        Text("Cartable", fontSize = 22.sp, fontWeight = FontWeight.Bold, color = MaterialTheme.colors.primary,
            modifier = Modifier.padding(horizontal = 16.dp))
        if (model.displayName.isNotBlank()) {
            Hint(model.displayName, Modifier.padding(horizontal = 16.dp))
        }
        Spacer(Modifier.height(12.dp))
        for (screen in AVAILABLE_SCREENS) {
            val current = screen == model.screen
            Text(
                if (screen == Screen.Information && model.unread > 0) "${screen.title} (${model.unread} non lu${if (model.unread > 1) "s" else ""})" else screen.title,
                fontSize = 17.sp,
                fontWeight = if (current) FontWeight.SemiBold else FontWeight.Normal,
                color = if (current) MaterialTheme.colors.primary else MaterialTheme.colors.onSurface,
                modifier = Modifier.fillMaxWidth()
                    .heightIn(min = TouchTarget)
                    .background(if (current) Palette.primary.copy(alpha = 0.08f) else Color.Transparent)
                    .clickable { onSelect(screen) }
                    .semantics { role = Role.Tab; selected = current }
                    .padding(horizontal = 16.dp, vertical = 13.dp),
            )
        }
    }
}

package fr.cartable.app

import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.remember
import androidx.compose.ui.unit.DpSize
import androidx.compose.ui.unit.dp
import androidx.compose.ui.window.Window
import androidx.compose.ui.window.application
import androidx.compose.ui.window.rememberWindowState
import fr.cartable.app.state.AppModel
import fr.cartable.app.ui.CartableApp
import fr.cartable.mobile.Cartable
import java.io.File
import java.net.InetAddress
import kotlinx.coroutines.runBlocking

/** The title of the app's window. */
const val WINDOW_TITLE = "Cartable"

/**
 * The model of the app [main] runs, once its window is open: what the window test reads to know
 * when "Mon planning" shows (a debugger may look at it too). Null before.
 */
@Volatile
var runningApp: AppModel? = null
    private set

/**
 * The parents' app in a phone-sized window. System properties: `cartable.url`, the portal's
 * address shown on "Connexion"; `cartable.store`, the folder of the local store (default
 * ~/.cartable-app).
 */
fun main() {
    val store = System.getProperty("cartable.store")?.takeIf { it.isNotBlank() }
        ?: File(System.getProperty("user.home"), ".cartable-app").path
    File(store).mkdirs()
    val url = System.getProperty("cartable.url")?.takeIf { it.isNotBlank() } ?: ""
    val host = runCatching { InetAddress.getLocalHost().hostName }.getOrDefault("ordinateur")
    val cartable = runBlocking { Cartable.open(store) }
    val model = AppModel(cartable, "Cartable sur $host", DesktopPlatform(), url)
    runningApp = model
    application {
        val state = rememberWindowState(size = DpSize(412.dp, 860.dp))
        Window(onCloseRequest = { cartable.close(); exitApplication() }, title = WINDOW_TITLE, state = state) {
            LaunchedEffect(Unit) { model.start() }
            CartableApp(remember { model })
        }
    }
}

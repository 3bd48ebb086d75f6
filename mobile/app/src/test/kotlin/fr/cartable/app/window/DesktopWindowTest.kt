package fr.cartable.app.window

import fr.cartable.app.Demo
import fr.cartable.app.Screenshots
import fr.cartable.app.WINDOW_TITLE
import fr.cartable.app.main
import fr.cartable.app.runningApp
import fr.cartable.app.state.Screen
import java.awt.Frame
import java.awt.GraphicsEnvironment
import java.awt.Robot
import java.awt.event.InputEvent
import java.awt.event.KeyEvent
import java.awt.image.BufferedImage
import java.nio.file.Files
import javax.imageio.ImageIO
import kotlin.concurrent.thread
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Tag
import org.junit.jupiter.api.Test

/**
 * The real desktop app: its `main` opens the window on a display (Xvfb in the tests: run by
 * `mobile/tests/app_jvm.rs` under `xvfb-run`, with `-Djava.awt.headless=false`), a parent signs
 * in with the keyboard, and "Mon planning" shows. The picture is taken from the screen itself.
 */
@Tag("window")
class DesktopWindowTest {

    private fun waitUntil(what: String, timeoutMs: Long = 60_000, condition: () -> Boolean) {
        val deadline = System.currentTimeMillis() + timeoutMs
        while (!condition()) {
            check(System.currentTimeMillis() < deadline) { "timed out waiting for $what" }
            Thread.sleep(100)
        }
    }

    private fun Robot.press(key: Int, shift: Boolean = false) {
        if (shift) keyPress(KeyEvent.VK_SHIFT)
        keyPress(key)
        keyRelease(key)
        if (shift) keyRelease(KeyEvent.VK_SHIFT)
    }

    /** Types [text] (lower-case letters, digits, `.` and `-`) as a keyboard would. */
    private fun Robot.type(text: String) {
        for (c in text) {
            when {
                c in 'a'..'z' -> press(KeyEvent.VK_A + (c - 'a'))
                c in '0'..'9' -> press(KeyEvent.VK_0 + (c - '0'))
                c == '.' -> press(KeyEvent.VK_PERIOD)
                c == '-' -> press(KeyEvent.VK_MINUS)
                else -> error("cannot type « $c »")
            }
        }
    }

    @Test
    fun `the app's window opens on a display, a parent signs in with the keyboard and sees Mon planning`() {
        assertFalse(GraphicsEnvironment.isHeadless(), "this test needs a display: run it under xvfb-run")
        val store = Files.createTempDirectory("cartable-window-").toFile()
        System.setProperty("cartable.url", Demo.server.url)
        System.setProperty("cartable.store", store.path)
        // `main` runs the window until the JVM ends (it never returns while the window is open).
        thread(name = "cartable-main", isDaemon = true) { main() }

        waitUntil("the window") { Frame.getFrames().any { it.title == WINDOW_TITLE && it.isShowing } }
        val window = Frame.getFrames().single { it.title == WINDOW_TITLE && it.isShowing }
        val app = runningApp ?: error("main did not start the app")
        waitUntil("the sign-in screen") { !app.signedIn && app.login.serverUrl == Demo.server.url }
        val robot = Robot().apply { autoDelay = 40 }
        robot.waitForIdle()
        // A click on the window's heading gives it the keyboard, then Tab goes from field to field.
        val bounds = window.bounds
        robot.mouseMove(bounds.x + bounds.width / 2, bounds.y + window.insets.top + 40)
        robot.mousePress(InputEvent.BUTTON1_DOWN_MASK)
        robot.mouseRelease(InputEvent.BUTTON1_DOWN_MASK)
        robot.waitForIdle()
        robot.press(KeyEvent.VK_TAB) // the portal's address, filled in
        robot.press(KeyEvent.VK_TAB) // Identifiant
        robot.type(Demo.CAMILLE)
        waitUntil("the login typed") { app.login.login == Demo.CAMILLE }
        robot.press(KeyEvent.VK_TAB) // Mot de passe
        robot.type(Demo.PASSWORD)
        waitUntil("the password typed") { app.login.password == Demo.PASSWORD }
        robot.press(KeyEvent.VK_TAB) // Se connecter
        robot.press(KeyEvent.VK_ENTER)

        waitUntil("Mon planning") {
            app.signedIn && app.screen == Screen.Planning && app.planning.view != null && !app.syncing
        }
        assertTrue(app.displayName.startsWith("Camille"), app.displayName)
        robot.waitForIdle()
        Thread.sleep(1_000) // the last frame drawn
        val inside = window.insets
        val area = java.awt.Rectangle(
            bounds.x + inside.left,
            bounds.y + inside.top,
            bounds.width - inside.left - inside.right,
            bounds.height - inside.top - inside.bottom,
        )
        val picture: BufferedImage = robot.createScreenCapture(area)
        val file = Screenshots.file("39-fenetre-mon-planning")
        assertTrue(ImageIO.write(picture, "png", file), "PNG written")
        val colours = (0 until picture.width step 8).flatMap { x ->
            (0 until picture.height step 8).map { y -> picture.getRGB(x, y) }
        }.toSet()
        assertTrue(colours.size > 20, "the window shows a drawn screen, not a blank one (${colours.size} colours)")
    }
}

package fr.cartable.app

import androidx.compose.ui.geometry.Offset
import androidx.compose.ui.geometry.Size
import androidx.compose.ui.graphics.asSkiaBitmap
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.SemanticsMatcher
import androidx.compose.ui.test.SemanticsNodeInteraction
import androidx.compose.ui.test.SkikoComposeUiTest
import androidx.compose.ui.test.hasScrollToNodeAction
import androidx.compose.ui.test.onNodeWithContentDescription
import androidx.compose.ui.test.onNodeWithText
import androidx.compose.ui.test.onRoot
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performMouseInput
import androidx.compose.ui.test.performScrollTo
import androidx.compose.ui.test.performScrollToNode
import androidx.compose.ui.test.runSkikoComposeUiTest
import androidx.compose.ui.unit.Density
import fr.cartable.app.state.AppModel
import fr.cartable.app.state.Screen
import fr.cartable.app.ui.CartableApp
import java.io.File
import org.jetbrains.skia.EncodedImageFormat
import org.jetbrains.skia.Image

/**
 * A phone's screen in the tests: 400 × 860 dp at density 2, as the pictures of [Screenshots];
 * [fontScale] is the phone's text size setting (1.5 for "large text").
 */
const val PHONE_WIDTH_DP = 400
const val PHONE_HEIGHT_DP = 860
const val PHONE_DENSITY = 2f

/** How long a tap's work may take against the test server before the test fails. */
const val TAP_TIMEOUT_MS = 60_000L

/**
 * Runs [block] with the app's composables on a phone-sized screen driven by Compose's UI test
 * API: nodes found by their text or spoken description, typed into, clicked, as a parent's
 * fingers would.
 */
@OptIn(ExperimentalTestApi::class)
fun phone(
    widthDp: Int = PHONE_WIDTH_DP,
    heightDp: Int = PHONE_HEIGHT_DP,
    fontScale: Float = 1f,
    block: SkikoComposeUiTest.() -> Unit,
) {
    runSkikoComposeUiTest(
        size = Size(widthDp * PHONE_DENSITY, heightDp * PHONE_DENSITY),
        density = Density(PHONE_DENSITY, fontScale),
    ) { block() }
}

/** Shows the whole app for [app] on the screen, as a phone would. */
@OptIn(ExperimentalTestApi::class)
fun SkikoComposeUiTest.showApp(app: AppModel) {
    setContent { CartableApp(app, live = false) }
}

/** Saves what the screen shows now as `name.png` in the screenshots folder. */
@OptIn(ExperimentalTestApi::class)
fun SkikoComposeUiTest.screenshot(name: String): File {
    // The desktop scene keeps the last tap's position as a pointer resting there and shades
    // whatever moves under it; a phone has no such pointer: it goes to the screen's corner.
    onRoot().performMouseInput { moveTo(Offset(1f, 1f)) }
    waitForIdle()
    val bitmap = captureToImage().asSkiaBitmap()
    val data = Image.makeFromBitmap(bitmap).encodeToData(EncodedImageFormat.PNG) ?: error("PNG encoding failed")
    return Screenshots.file(name).also { it.writeBytes(data.bytes) }
}

/** Waits until [condition] holds, the app's coroutines running meanwhile. */
@OptIn(ExperimentalTestApi::class)
fun SkikoComposeUiTest.waitFor(what: String, condition: () -> Boolean) {
    waitUntil(what, TAP_TIMEOUT_MS, condition)
}

/**
 * The node [matcher] finds, scrolled into view: a day of "Mon planning" not composed yet is
 * reached through its list, a field low on a form by scrolling its column.
 */
@OptIn(ExperimentalTestApi::class)
fun SkikoComposeUiTest.scrolledTo(matcher: SemanticsMatcher): SemanticsNodeInteraction {
    if (onAllNodes(matcher).fetchSemanticsNodes().isEmpty()) {
        onNode(hasScrollToNodeAction()).performScrollToNode(matcher)
    }
    val node = onNode(matcher)
    // A node with no scrolling parent (the top bar, the menu) is in view already.
    return runCatching { node.performScrollTo() }.getOrDefault(node)
}

/** Opens the menu and taps [screen]; waits until its data is read. */
@OptIn(ExperimentalTestApi::class)
fun SkikoComposeUiTest.goTo(app: AppModel, screen: Screen) {
    onNodeWithContentDescription("Menu").performClick()
    waitForIdle()
    onNodeWithText(screen.title, useUnmergedTree = false).let {
        runCatching { it.performScrollTo() }
        it.performClick()
    }
    waitFor("the menu opens ${screen.title}") { app.screen == screen }
    waitForIdle()
}
